import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSpec, type BatchArrays } from '../../agent/index.js';
import { sliceBatch } from '../../agent/training/batch-tensors.js';
import { buildSampleIndex } from '../../agent/training/data/sample-index.js';
import { batchPlan, BatchBuilder } from '../../agent/training/data/batch-builder.js';
import { generateDemos } from '../../sim/index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peract-batch-'));
  await generateDemos({ dir, tasks: ['pick_and_lift'], episodes: 2, seed: 0 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function same(a: BatchArrays, b: BatchArrays): boolean {
  return (Object.keys(a) as (keyof BatchArrays)[]).every((k) => Buffer.from(a[k].buffer, a[k].byteOffset, a[k].byteLength).equals(Buffer.from(b[k].buffer, b[k].byteOffset, b[k].byteLength)));
}

describe('BatchBuilder', () => {
  it('builds the same batches from its cache of decoded samples as from the files, with augmentation', async () => {
    const index = await buildSampleIndex([dir]);
    const spec = agentSpec({ gridSize: 16 });
    const cached = new BatchBuilder(index, spec, { enabled: true });
    const uncached = new BatchBuilder(index, spec, { enabled: true }, 0);
    for (let step = 1; step <= 3; step++) {
      const plan = batchPlan(index, 7, step % 2, 6); // steps 1 and 3 repeat: served from the cache
      expect(same(await cached.build(plan.sampleIds, plan.augmentSeed), await uncached.build(plan.sampleIds, plan.augmentSeed))).toBe(true);
    }
  });

  it('slices a batch into shares that name a bad range', async () => {
    const index = await buildSampleIndex([dir]);
    const plan = batchPlan(index, 1, 1, 4);
    const batch = await new BatchBuilder(index, agentSpec({ gridSize: 8 }), { enabled: false }).build(plan.sampleIds, plan.augmentSeed);
    const second = sliceBatch(batch, 2, 4);
    expect(second.translation).toEqual(batch.translation.subarray(2, 4));
    expect(second.voxels.length).toBe(batch.voxels.length / 2);
    expect(() => sliceBatch(batch, 3, 3)).toThrow(/range/);
  });
});
