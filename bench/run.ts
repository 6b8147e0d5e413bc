/**
 * `npm run bench [-- FILTER...]`: runs every benchmark in bench/*.bench.ts whose name contains
 * one of the filters (all when none). Figures go to stdout as JSON lines; progress to stderr.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { emit, type Benchmark } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((a) => a !== '--');
const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();

let failed = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { benchmarks?: Benchmark[] };
  for (const bench of mod.benchmarks ?? []) {
    if (filters.length && !filters.some((f) => bench.name.includes(f) || file.includes(f))) continue;
    process.stderr.write(`bench ${bench.name} ...\n`);
    try {
      for (const figure of await bench.run()) emit(figure);
    } catch (err) {
      failed++;
      process.stderr.write(`bench ${bench.name} failed: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
}
process.exitCode = failed ? 1 : 0;
