import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every .ts file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('read-backs on GPU-capable paths', () => {
  // Measured on an H100 (bench/RESULTS.md, GPU): tfjs-backend-webgpu's synchronous read draws
  // through an OffscreenCanvas, which Node lacks, so one dataSync() on the training or acting
  // path makes the webgpu backend unusable. No GPU runs in CI: this keeps the paths async.
  it('agent/ and the GPU benchmark never read tensors synchronously', () => {
    const offenders = [...sources('agent'), 'bench/gpu.ts', 'bench/synthetic.ts'].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ line: line.trim(), at: `${file}:${i + 1}` }))
        .filter(({ line }) => /\.(dataSync|arraySync)\(/.test(line) && !line.startsWith('//') && !line.startsWith('*') && !line.startsWith('/*'))
        .map(({ at }) => at),
    );
    expect(offenders).toEqual([]);
  });
});
