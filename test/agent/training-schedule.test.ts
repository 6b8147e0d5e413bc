import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../agent/backend/backend.js';
import { circularGaussianTargets, crossEntropy, gaussianTargets, learningRateAt, loss, type LearningRateSchedule, type NetworkOutput } from '../../agent/network/index.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('learning-rate schedule', () => {
  const cosine: LearningRateSchedule = { kind: 'cosine', base: 1e-3, warmupSteps: 10, totalSteps: 110, finalFraction: 0.05 };

  it('warms up linearly, then decays on a cosine to the final fraction and stays there', () => {
    expect(learningRateAt(cosine, 1)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(cosine, 10)).toBeCloseTo(1e-3, 12);
    // Half-way through the decay: the mean of the peak and the floor.
    expect(learningRateAt(cosine, 60)).toBeCloseTo(1e-3 * (0.05 + 0.95 * 0.5), 12);
    expect(learningRateAt(cosine, 110)).toBeCloseTo(5e-5, 12);
    expect(learningRateAt(cosine, 500)).toBeCloseTo(5e-5, 12);
    for (let s = 11; s < 110; s++) expect(learningRateAt(cosine, s + 1)).toBeLessThan(learningRateAt(cosine, s));
  });

  it('a constant schedule holds the base rate after warm-up', () => {
    const constant = { ...cosine, kind: 'constant' as const, warmupSteps: 0 };
    expect(learningRateAt(constant, 1)).toBe(1e-3);
    expect(learningRateAt(constant, 1000)).toBe(1e-3);
  });

  it('names the bad field', () => {
    expect(() => learningRateAt(cosine, 0)).toThrow(/step/);
    expect(() => learningRateAt({ ...cosine, base: 0 }, 1)).toThrow(/schedule.base/);
    expect(() => learningRateAt({ ...cosine, finalFraction: 2 }, 1)).toThrow(/schedule.finalFraction/);
    expect(() => learningRateAt({ ...cosine, kind: 'step' as 'cosine' }, 1)).toThrow(/schedule.kind/);
  });
});

describe('Gaussian translation targets', () => {
  it('sum to one per row and peak at the target voxel, falling off with distance', () => {
    const V = 6;
    const flat = 2 * V * V + 3 * V + 4; // voxel (2, 3, 4)
    const soft = tf.tidy(() => gaussianTargets(tf.tensor1d([flat, 0], 'int32'), V, 1).arraySync());
    for (const row of soft) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const row = soft[0];
    expect(row.indexOf(Math.max(...row))).toBe(flat);
    // One voxel off along one axis: exp(-1/2) of the peak; along two axes exp(-1).
    expect(row[flat + 1] / row[flat]).toBeCloseTo(Math.exp(-0.5), 4);
    expect(row[flat + V + 1] / row[flat]).toBeCloseTo(Math.exp(-1), 4);
    expect(soft[1].indexOf(Math.max(...soft[1]))).toBe(0);
  });

  it('a vanishing spread gives the one-hot cross-entropy; a wider one scores near misses better', () => {
    const V = 4;
    const out = (logits: number[]): NetworkOutput => ({
      translation: tf.tensor2d([logits], [1, V ** 3]),
      rotation: tf.zeros([1, 3, 2]) as tf.Tensor3D,
      gripper: tf.zeros([1, 2]) as tf.Tensor2D,
      collision: tf.zeros([1, 2]) as tf.Tensor2D,
    });
    const targets = { translation: tf.tensor1d([21], 'int32'), rotation: tf.zeros([1, 3], 'int32'), gripper: tf.zeros([1], 'int32'), collision: tf.zeros([1], 'int32') };
    const logits = Array.from({ length: V ** 3 }, (_, i) => Math.sin(i));
    tf.tidy(() => {
      const hard = crossEntropy(out(logits).translation, targets.translation as tf.Tensor1D).dataSync()[0];
      expect(loss(out(logits), targets, { translationSigmaVoxels: 0.05 }).translation.dataSync()[0]).toBeCloseTo(hard, 4);
      const nearMiss = logits.map((_, i) => (i === 22 ? 8 : 0)); // one voxel off in z
      const farMiss = logits.map((_, i) => (i === 0 ? 8 : 0));
      const soft = (l: number[]) => loss(out(l), targets, { translationSigmaVoxels: 1 }).translation.dataSync()[0];
      expect(soft(nearMiss)).toBeLessThan(soft(farMiss));
    });
    expect(() => loss(out(logits), targets, { translationSigmaVoxels: -1 })).toThrow(/translationSigmaVoxels/);
  });
});

describe('circular rotation targets', () => {
  it('wrap around: bin 0 and the last bin are neighbours', () => {
    const soft = tf.tidy(() => circularGaussianTargets(tf.tensor1d([0, 36], 'int32'), 72, 1).arraySync());
    for (const row of soft) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(soft[0][71]).toBeCloseTo(soft[0][1], 7);
    expect(soft[0][71] / soft[0][0]).toBeCloseTo(Math.exp(-0.5), 4);
    expect(soft[1].indexOf(Math.max(...soft[1]))).toBe(36);
    expect(soft[1][0]).toBeLessThan(1e-12);
  });
});
