import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSpec, GradientReplicas, selectBackend, type BatchArrays } from '../../agent/index.js';
import { toTensors } from '../../agent/training/batch-tensors.js';
import { createNetwork, Optimizer, resolveConfig, SURFACE_HEIGHT_MAX, trainStep, type NetworkConfig } from '../../agent/network/index.js';
import { Rng } from '../../core/index.js';
import { surfaceHeights } from '../../perception/index.js';
import { TINY_NETWORK } from './helpers.js';

// Dropout 0: then the mean of the shares' gradients is the whole batch's gradient.
const CONFIG: NetworkConfig = resolveConfig('cpu', { ...TINY_NETWORK, dropout: 0 });
const SPEC = agentSpec({ gridSize: CONFIG.gridSize, tokenLength: CONFIG.languageLength, rotationResolutionDeg: 45 });

function randomBatch(n: number, seed: number): BatchArrays {
  const rng = new Rng(seed);
  const V = CONFIG.gridSize;
  const voxels = new Float32Array(n * V ** 3 * CONFIG.inputChannels).map(() => (rng.next() < 0.2 ? rng.uniform(-1, 1) : 0));
  return {
    voxels,
    surfaceHeights: surfaceHeights(voxels, V, SURFACE_HEIGHT_MAX),
    proprio: new Float32Array(n * 4).map(() => rng.uniform(-1, 1)),
    language: new Int32Array(n * CONFIG.languageLength).map(() => rng.int(0, CONFIG.vocabSize - 1)),
    level: new Int32Array(n),
    headWeight: new Float32Array(n).fill(1),
    translation: new Int32Array(n).map(() => rng.int(0, V ** 3 - 1)),
    rotation: new Int32Array(n * 3).map(() => rng.int(0, CONFIG.rotationBins - 1)),
    gripper: new Int32Array(n).map(() => rng.int(0, 1)),
    collision: new Int32Array(n).map(() => rng.int(0, 1)),
  };
}

let replicas: GradientReplicas;

beforeAll(async () => {
  await selectBackend('wasm');
  replicas = await GradientReplicas.start(1, CONFIG, SPEC, 'wasm');
});

afterAll(async () => {
  await replicas?.close();
});

describe('gradient replicas', () => {
  it('a step over two threads moves the weights as one thread on the whole batch does', async () => {
    const single = createNetwork(CONFIG, 5);
    const split = createNetwork(CONFIG, 5);
    const optSingle = new Optimizer({ kind: 'adam', learningRate: 1e-2 });
    const optSplit = new Optimizer({ kind: 'adam', learningRate: 1e-2 });
    const options = { loss: { translationSigmaVoxels: 1 }, learningRate: 1e-2 };
    for (let step = 0; step < 3; step++) {
      const batch = randomBatch(4, 100 + step);
      const t = toTensors(batch, SPEC, 4);
      const a = await trainStep(single, optSingle, t, options);
      tf.dispose([...Object.values(t.input), ...Object.values(t.targets)]);
      const b = await replicas.step(split, optSplit, batch, SPEC, options);
      expect(b.total).toBeCloseTo(a.total, 4);
    }
    let worst = 0;
    for (const [name, w] of single.params) {
      const x = w.dataSync();
      const y = split.params.get(name)!.dataSync();
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
    }
    // Summation order differs (two halves vs one batch): float32 rounding, not a different step.
    expect(worst).toBeLessThan(1e-4);
    expect(replicas.threads).toBe(2);
  });

  it('refuses a batch that does not split evenly, and GPU backends, naming the field', async () => {
    const net = createNetwork(CONFIG, 1);
    await expect(replicas.step(net, new Optimizer(), randomBatch(3, 1), SPEC, {})).rejects.toThrow(/batch: must be a multiple of the 2/);
    await expect(GradientReplicas.start(1, CONFIG, SPEC, 'webgpu')).rejects.toThrow(/replicas/);
  });
});
