import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function peract(...args: string[]) {
  return spawnSync('npx', ['tsx', 'bin/peract.ts', ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, PERACT_BACKEND: 'wasm' } });
}

describe('peract train --init', () => {
  it('documents the fine-tuning flags in --help', () => {
    const r = peract('train', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--init <checkpoint>/);
    expect(r.stdout).toMatch(/--init-optimizer/);
    expect(r.stdout).toMatch(/DIR:WEIGHT/);
  });

  it('refuses flags that contradict the init checkpoint, naming the flag', () => {
    const r = peract('train', '--init', 'models/peract-c2f', '--data', 'data/recorded', '--out', 'runs/none', '--preset', 'cpu');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--preset: cannot be given with --init/);
    const o = peract('train', '--data', 'data/recorded', '--out', 'runs/none', '--init-optimizer');
    expect(o.status).toBe(2);
    expect(o.stderr).toMatch(/--init-optimizer: needs --init/);
  });
});
