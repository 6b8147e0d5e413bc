import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accuracyMarkdown, datasetAccuracy, latestCheckpoint, loadCheckpoint, loadPolicy, train, type TrainOptions } from '../../agent/index.js';
import { generateDemos, SimEnv } from '../../sim/index.js';

// A network small enough to train in seconds: 16^3 voxels, 64 tokens, 16 latents.
const TINY = { gridSize: 16, patchSize: 4, voxelTokenDim: 32, proprioFeatureDim: 8, languageEmbedDim: 8, numLatents: 16, latentDim: 32, selfAttentionLayers: 1, selfHeads: 2, selfHeadDim: 16, crossHeadDim: 16, headHidden: [64, 32] as [number, number] };

let dir: string;
let data: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peract-train-'));
  data = join(dir, 'demos');
  await generateDemos({ dir: data, tasks: ['reach_target'], episodes: 2, seed: 0 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    data: [data],
    out,
    preset: 'cpu',
    network: TINY,
    steps: 10,
    batch: 4,
    seed: 3,
    optimizer: 'adam',
    learningRate: 3e-3,
    weightDecay: 0,
    checkpointEvery: 5,
    evalEvery: 5,
    augmentation: false,
    backend: 'wasm',
    inProcessData: true,
    ...extra,
  };
}

describe('train', () => {
  it('drives training-set accuracy to 100 % on a tiny fixed dataset', async () => {
    // One-hot targets: then the loss can fall towards 0 (a Gaussian target's floor is its entropy).
    const result = await train(options(join(dir, 'overfit'), { steps: 150, evalEvery: 25, checkpointEvery: 150, translationSigmaVoxels: 0, rotationSigmaBins: 0 }));
    expect(result.accuracy).toEqual({ translation: 1, translationNear: 1, rotation: 1, gripper: 1, collision: 1 });
    const metrics = (await readFile(join(dir, 'overfit', 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(metrics).toHaveLength(150);
    const first = JSON.parse(metrics[0]) as { total: number };
    expect(result.finalLoss).toBeLessThan(first.total / 10);
  });

  it('resumes after an interruption with the same result as an uninterrupted run', async () => {
    const straight = await train(options(join(dir, 'straight'), { inProcessData: false }));
    // Interrupted after 7 steps: the newest checkpoint is step 5, so steps 6-7 are redone.
    await train(options(join(dir, 'resumed'), { stopAfter: 7 }));
    const resumed = await train(options(join(dir, 'resumed')));
    expect(resumed.startStep).toBe(5);
    expect(resumed.step).toBe(straight.step);
    const a = await loadCheckpoint((await latestCheckpoint(join(dir, 'straight')))!.dir);
    const b = await loadCheckpoint((await latestCheckpoint(join(dir, 'resumed')))!.dir);
    expect([...b.model.keys()]).toEqual([...a.model.keys()]);
    for (const [name, t] of a.model) expect(Buffer.from(b.model.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    for (const [name, t] of a.optimizer!) expect(Buffer.from(b.optimizer!.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    const lines = (await readFile(join(dir, 'resumed', 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { step: number }).step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('trains on two threads (a gradient replica), resumes bit for bit, and logs held-out accuracy', async () => {
    const two = (out: string, extra: Partial<TrainOptions> = {}) => options(join(dir, out), { replicas: 2, steps: 6, checkpointEvery: 3, evalEvery: 3, validation: [data], ...extra });
    const straight = await train(two('two'));
    await train(two('two-resumed', { stopAfter: 4 }));
    const resumed = await train(two('two-resumed'));
    expect(resumed.startStep).toBe(3);
    const a = await loadCheckpoint((await latestCheckpoint(join(dir, 'two')))!.dir);
    const b = await loadCheckpoint((await latestCheckpoint(join(dir, 'two-resumed')))!.dir);
    for (const [name, t] of a.model) expect(Buffer.from(b.model.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    expect(straight.validationAccuracy?.translationNear).toBeGreaterThanOrEqual(straight.validationAccuracy?.translation ?? 1);
    const rows = (await readFile(join(dir, 'two', 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(rows[2].val_rotation).toBeGreaterThanOrEqual(0);
    // Cosine schedule: warm-up (100 steps by default) dominates a 6-step run, so the rate climbs.
    expect(rows[1].lr).toBeGreaterThan(rows[0].lr);
    await expect(train(two('odd', { batch: 3 }))).rejects.toThrow(/batch: must be a multiple of replicas/);
  });

  it('refuses to resume a run folder with other settings, naming the folder', async () => {
    await expect(train(options(join(dir, 'straight'), { learningRate: 1e-2 }))).rejects.toThrow(/holds a run with other settings/);
  });

  it('writes curves and a checkpoint a policy can load, recording the demo seeds', async () => {
    const { config, policy } = await loadPolicy(join(dir, 'straight'));
    expect(JSON.parse(String(config.training.demoSeeds))).toEqual({ reach_target: '0-1' });
    expect(policy.spec.gridSize).toBe(16);
    await expect(readFile(join(dir, 'straight', 'loss.png'))).resolves.toBeInstanceOf(Buffer);
    await expect(readFile(join(dir, 'straight', 'accuracy.png'))).resolves.toBeInstanceOf(Buffer);
  });

  it('a loaded policy steps around positions it is asked to avoid', async () => {
    const { policy } = await loadPolicy(join(dir, 'straight'));
    const env = new SimEnv();
    try {
      const { observation, goal } = await env.reset({ task: 'reach_target', seed: 5 });
      const first = await policy.act(observation, goal);
      const second = await policy.act(observation, goal, { avoidPositionsMetres: [first.action.positionMetres] });
      const voxel = (p: readonly number[]) => policy.encoder.codec.positionToVoxel(p);
      const a = voxel(first.action.positionMetres);
      const b = voxel(second.action.positionMetres);
      expect(Math.max(...a.map((x, i) => Math.abs(x - b[i])))).toBeGreaterThan(1);
      expect(second.action.quaternion).toEqual(first.action.quaternion);
      // Sub-voxel position (the default): inside the best voxel's 3x3x3 window, not its centre.
      const centres = (await loadPolicy(join(dir, 'straight'), { subVoxel: false })).policy;
      const plain = await centres.act(observation, goal);
      expect(plain.action.positionMetres).toEqual(plain.topVoxels[0].positionMetres);
      const voxelMetres = 0.8 / 16;
      first.action.positionMetres.forEach((x, i) => expect(Math.abs(x - plain.action.positionMetres[i])).toBeLessThanOrEqual(voxelMetres + 1e-9));
      expect(first.action.positionMetres).not.toEqual(plain.action.positionMetres);
      await expect(policy.act(observation, goal, { avoidPositionsMetres: [[0, 0] as unknown as [number, number, number]] })).rejects.toThrow(/avoidPositionsMetres\[0\]/);
    } finally {
      await env.close();
    }
  });

  it('measures per-task accuracy on a dataset, as a table with the same numbers', async () => {
    const { policy } = await loadPolicy(join(dir, 'straight'));
    const all = await datasetAccuracy(policy, { data: [data] });
    expect(all.map((r) => r.task)).toEqual(['reach_target']);
    expect(all[0].samples).toBeGreaterThan(1);
    for (const v of Object.values(all[0].accuracy)) expect(v).toBeGreaterThanOrEqual(0);
    expect(all[0].accuracy.translationNear).toBeGreaterThanOrEqual(all[0].accuracy.translation);
    const one = await datasetAccuracy(policy, { data: [data], perTask: 1, keyframeStatesOnly: true });
    expect(one[0].samples).toBe(1);
    expect(accuracyMarkdown(all)).toContain(`| reach_target | ${all[0].samples} | ${(100 * all[0].accuracy.translation).toFixed(1)} |`);
    await expect(datasetAccuracy(policy, { data: [data], perTask: 0 })).rejects.toThrow(/perTask/);
  });

  it('rejects bad options naming them', async () => {
    await expect(train(options(join(dir, 'bad'), { steps: 0 }))).rejects.toThrow(/steps: must be an integer >= 1/);
    await expect(train(options(join(dir, 'bad'), { data: [] }))).rejects.toThrow(/data/);
    await expect(train(options(join(dir, 'bad'), { data: [join(dir, 'missing')] }))).rejects.toThrow(/missing/);
  });
});
