import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentSpec,
  createNetwork,
  disposeNetwork,
  forward,
  loadCheckpoint,
  latestCheckpoint,
  loadPolicy,
  resolveConfig,
  SampleEncoder,
  selectBackend,
  train,
  type TrainOptions,
} from '../../agent/index.js';
import { loss } from '../../agent/network/index.js';
import { keyframeAction } from '../../agent/training/data/batch-builder.js';
import { Rng } from '../../core/index.js';
import { backProject, voxelResolution, Voxelizer, cubeBounds } from '../../perception/index.js';
import { openDataset, observationAt } from '../../dataset/index.js';
import { generateDemos, SimEnv } from '../../sim/index.js';
import { syntheticInput, syntheticTargets } from '../../bench/synthetic.js';

// The c2f preset shrunk to train in seconds: two levels of 12^3 (patch 4: 27 tokens).
const TINY = { gridSize: 12, patchSize: 4, voxelTokenDim: 32, proprioFeatureDim: 8, languageEmbedDim: 8, numLatents: 16, latentDim: 32, selfAttentionLayers: 1, selfHeads: 2, selfHeadDim: 16, crossHeadDim: 16, headHidden: [64, 32] as [number, number], fineCubeMetres: 0.12 };

let dir: string;
let data: string;

beforeAll(async () => {
  await selectBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'peract-c2f-'));
  data = join(dir, 'demos');
  await generateDemos({ dir: data, tasks: ['reach_target'], episodes: 2, seed: 0 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('coarse-to-fine encoder', () => {
  it('makes a coarse item over the bounds and a fine item over a cube around the jittered target', async () => {
    const spec = agentSpec({ gridSize: 20, tokenLength: 32, fineCubeMetres: 0.12 });
    const encoder = new SampleEncoder(spec);
    expect(encoder.levels).toBe(2);
    const dataset = await openDataset(data);
    const entry = dataset.manifest.episodes[0];
    const episode = await dataset.loadEpisode(entry, { imageFrames: [0], masks: false });
    const observation = observationAt(episode, 0);
    const target = keyframeAction(episode, entry.keyframes[0]);
    const jitter = 0.035;
    const { items } = encoder.encodeTraining(observation, entry.goals[0], target, undefined, { rng: new Rng(1), jitterMetres: jitter });
    expect(items.map((i) => [i.input.level, i.targets.headWeight])).toEqual([[0, 0], [1, 1]]);
    expect(items[0].targets.translation).toBe(encoder.codec.flatIndex(encoder.codec.positionToVoxel(target.positionMetres)));
    // The fine target decodes to within half a fine voxel of the demonstrated position, and the
    // cube's centre is within the jitter of it.
    const fineVoxel = encoder.codec.voxelFromFlat(items[1].targets.translation);
    expect(items[1].targets.rotation).toEqual(items[0].targets.rotation);
    const fineRes = 0.12 / 20;
    expect(fineRes).toBeLessThanOrEqual(0.006);
    // The same draw gives the cube; a fresh voxelizer over it gives the same grid.
    const rng = new Rng(1);
    const centre = target.positionMetres.map((p) => p + rng.uniform(-jitter, jitter));
    centre.forEach((c, a) => expect(Math.abs(c - target.positionMetres[a])).toBeLessThanOrEqual(jitter));
    const cube = cubeBounds(centre, 0.12);
    for (let a = 0; a < 3; a++) {
      const lo = cube[a] + fineRes * fineVoxel[a];
      expect(target.positionMetres[a]).toBeGreaterThanOrEqual(lo - 1e-9);
      expect(target.positionMetres[a]).toBeLessThanOrEqual(lo + fineRes + 1e-9);
    }
    const cloud = backProject(observation.cameras, { bounds: encoder.cloudBounds() });
    const fresh = new Voxelizer({ bounds: cube, size: 20 }).voxelize(cloud);
    expect(Buffer.from(items[1].input.voxels.buffer).equals(Buffer.from(fresh.data.buffer))).toBe(true);
    expect(fresh.occupied).toBeGreaterThan(0);
  });
});

describe('coarse-to-fine network and loss', () => {
  it('needs the level of each item, and the level changes the output', () => {
    const config = resolveConfig('c2f', TINY);
    const net = createNetwork(config, 1);
    try {
      const x = syntheticInput(config, 2, 3);
      tf.tidy(() => {
        const { level: _level, ...withoutLevel } = x;
        expect(() => forward(net, withoutLevel)).toThrow(/input\.level/);
        const a = forward(net, { ...x, level: tf.tensor1d([0, 0], 'int32') }).translation.arraySync() as number[][];
        const b = forward(net, { ...x, level: tf.tensor1d([1, 1], 'int32') }).translation.arraySync() as number[][];
        expect(a[0]).not.toEqual(b[0]);
      });
      tf.dispose(Object.values(x));
    } finally {
      disposeNetwork(net);
    }
  });

  it('reads the chosen voxel\'s patch token in the head: the translation argmax by default, the given voxel in training', () => {
    const config = resolveConfig('c2f', TINY);
    expect(config.localHead).toBe(true);
    const net = createNetwork(config, 2);
    try {
      tf.tidy(() => {
        const x = syntheticInput(config, 2, 7);
        const free = forward(net, x);
        const argmax = tf.argMax(free.translation, 1) as tf.Tensor1D;
        const forced = forward(net, { ...x, headVoxel: argmax });
        expect(forced.rotation.arraySync()).toEqual(free.rotation.arraySync());
        // Another voxel in another patch: the same translation, another head output.
        const other = tf.sub(tf.scalar(config.gridSize ** 3 - 1, 'int32'), argmax) as tf.Tensor1D;
        const moved = forward(net, { ...x, headVoxel: other });
        expect(moved.translation.arraySync()).toEqual(free.translation.arraySync());
        expect(moved.rotation.arraySync()).not.toEqual(free.rotation.arraySync());
        expect(() => forward(net, { ...x, headVoxel: tf.tensor1d([0], 'int32') })).toThrow(/input\.headVoxel/);
      });
    } finally {
      disposeNetwork(net);
    }
  });

  it('weighs the rotation, gripper and collision losses by item (the coarse items weigh 0)', () => {
    const config = resolveConfig('c2f', TINY);
    const net = createNetwork(config, 1);
    try {
      tf.tidy(() => {
        const x = syntheticInput(config, 4, 5);
        const y = syntheticTargets(config, 4, 6);
        const out = forward(net, x);
        const weighted = loss(out, y, { rotationSigmaBins: 1 });
        const pick = (t: tf.Tensor) => tf.gather(t, tf.tensor1d([1, 3], 'int32'));
        const fineOnly = loss(
          { translation: pick(out.translation) as tf.Tensor2D, rotation: pick(out.rotation) as tf.Tensor3D, gripper: pick(out.gripper) as tf.Tensor2D, collision: pick(out.collision) as tf.Tensor2D },
          { translation: pick(y.translation), rotation: pick(y.rotation), gripper: pick(y.gripper), collision: pick(y.collision) },
          { rotationSigmaBins: 1 },
        );
        for (const k of ['rotation', 'gripper', 'collision'] as const) expect(weighted[k].arraySync()).toBeCloseTo(fineOnly[k].arraySync() as number, 5);
        expect(() => loss(out, { ...y, headWeight: tf.tensor1d([1, 1], 'float32') })).toThrow(/targets\.headWeight/);
      });
    } finally {
      disposeNetwork(net);
    }
  });
});

describe('coarse-to-fine training and acting', () => {
  const options = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions => ({
    data: [data],
    out,
    preset: 'c2f',
    network: TINY,
    steps: 120,
    batch: 4,
    seed: 3,
    optimizer: 'adam',
    learningRate: 3e-3,
    weightDecay: 0,
    checkpointEvery: 120,
    evalEvery: 40,
    augmentation: false,
    backend: 'wasm',
    inProcessData: true,
    fineJitterMetres: 0.01,
    ...extra,
  });

  it('fits a tiny dataset at both levels, saves the levels, and acts pass by pass inside the fine cube', async () => {
    const out = join(dir, 'fit');
    const result = await train(options(out, { translationSigmaVoxels: 0, rotationSigmaBins: 0 }));
    expect(result.accuracy.coarseNear).toBe(1);
    // The fine level sees its cube at a new offset every batch (the probe's included): far above
    // chance (27 of 1728 voxels), not memorised.
    expect(result.accuracy.translationNear).toBeGreaterThanOrEqual(0.75);
    expect(result.accuracy.rotation).toBe(1);
    expect(result.accuracy.gripper).toBe(1);
    const saved = await loadCheckpoint((await latestCheckpoint(out))!.dir);
    expect(saved.config.network.levels).toBe(2);
    expect(saved.config.network.fineCubeMetres).toBe(0.12);
    expect(saved.config.training.fineJitterMetres).toBe(0.01);

    const { policy } = await loadPolicy(out);
    expect(policy.spec.fineCubeMetres).toBe(0.12);
    const env = new SimEnv();
    try {
      // Seed 0 is a training episode: the first action is the first demonstrated keyframe.
      const { observation, goal } = await env.reset({ task: 'reach_target', seed: 0 });
      const act = await policy.act(observation, goal);
      const dataset = await openDataset(data);
      const entry = dataset.manifest.episodes.find((e) => e.seed === 0)!;
      const episode = await dataset.loadEpisode(entry, { imageFrames: [], masks: false });
      const want = keyframeAction(episode, entry.keyframes[0]).positionMetres;
      // Within two fine voxels plus the sub-voxel window: far finer than a coarse voxel (5.8 cm here).
      const coarseRes = voxelResolution(policy.spec.bounds, 12);
      act.action.positionMetres.forEach((p, a) => expect(Math.abs(p - want[a])).toBeLessThan(0.025));
      expect(Math.max(...coarseRes)).toBeGreaterThan(0.05);
      // Every reported voxel is a fine one: all inside one 12 cm cube.
      for (let a = 0; a < 3; a++) {
        const xs = act.topVoxels.map((t) => t.positionMetres[a]);
        expect(Math.max(...xs) - Math.min(...xs)).toBeLessThan(0.12);
      }
      // Asked to avoid its answer, it picks a fine voxel more than a coarse voxel's reach away on some axis.
      const again = await policy.act(observation, goal, { avoidPositionsMetres: [act.action.positionMetres] });
      expect(again.topVoxels[0].positionMetres.some((p, a) => Math.abs(p - act.action.positionMetres[a]) > coarseRes[a])).toBe(true);
      await expect(policy.actOnInput(policy.encoder.encode(observation, goal))).rejects.toThrow(/coarse-to-fine/);
    } finally {
      await env.close();
    }
  });

  it('rejects a fine-cube offset that could leave the target outside the cube', async () => {
    await expect(train(options(join(dir, 'bad'), { fineJitterMetres: 0.07 }))).rejects.toThrow(/fineJitterMetres: must be in \[0, 0\.05/);
  });
});
