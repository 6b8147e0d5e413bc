import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchPlan, BatchBuilder } from '../agent/training/data/batch-builder.js';
import { buildSampleIndex } from '../agent/training/data/sample-index.js';
import { agentSpec } from '../agent/encoding/spec.js';
import { generateDemos } from '../sim/demos.js';
import { median, type Benchmark, type Figure } from './harness.js';

/**
 * The data worker's cost per training batch of 16 (cpu preset grid, no augmentation): read,
 * verify and decode the PNGs every time (cache off, the baseline) against decoded samples
 * kept in memory (the default). Same batches, same run; demos of two tasks in a temp folder.
 */
async function batchCost(): Promise<Figure[]> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'peract-bench-data-'));
  try {
    await generateDemos({ dir, tasks: ['pick_and_lift', 'stack_blocks'], episodes: 4, seed: 9 });
    const index = await buildSampleIndex([dir]);
    const spec = agentSpec({ gridSize: 48 });
    const plans = Array.from({ length: 8 }, (_, s) => batchPlan(index, 1, s, 16));
    const time = async (builder: BatchBuilder): Promise<number[]> => {
      const out: number[] = [];
      for (const plan of plans) {
        const t0 = performance.now();
        await builder.build(plan.sampleIds, plan.augmentSeed);
        out.push(performance.now() - t0);
      }
      return out;
    };
    const files = await time(new BatchBuilder(index, spec, { enabled: false }, 0));
    const cached = new BatchBuilder(index, spec, { enabled: false });
    await time(cached); // fills the cache
    const warm = await time(cached);
    const fig = (name: string, t: number[]): Figure => ({ name, median: median(t), unit: 'ms', runs: t.length, min: Math.min(...t), max: Math.max(...t), samples: index.samples.length });
    return [fig('data/batch16-from-files', files), fig('data/batch16-from-cache', warm)];
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export const benchmarks: Benchmark[] = [{ name: 'data/batch16', run: batchCost }];
