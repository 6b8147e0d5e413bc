import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../agent/backend/backend.js';
import { computeGradients, createNetwork, disposeNetwork, resolveConfig, type NetworkConfig, type PresetName } from '../../agent/network/index.js';
import { GRADIENTS } from '../../agent/backend/tf-gradients.js';
import { syntheticInput, syntheticTargets } from '../../bench/synthetic.js';
import { Rng } from '../../core/index.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Small enough to run every option of every preset in a few seconds. */
const TINY: Partial<NetworkConfig> = {
  gridSize: 8,
  patchSize: 4,
  numLatents: 4,
  latentDim: 8,
  crossHeadDim: 4,
  selfHeadDim: 4,
  selfHeads: 2,
  selfAttentionLayers: 1,
  voxelTokenDim: 8,
  proprioFeatureDim: 8,
  languageEmbedDim: 8,
  headHidden: [8, 4],
  rotationBins: 8,
};

interface TapeNode {
  gradient?: (dys: tf.Tensor[]) => unknown;
}

/**
 * Kernels whose registered gradient backpropagation calls during `body`: those taped without a
 * gradient of their own (custom gradients bring theirs), on the path from the weights to the loss.
 */
async function registeredGradientsCalled(body: () => Promise<void>): Promise<Set<string>> {
  const engine = tf.engine() as unknown as { addTapeNode: (...args: unknown[]) => void; state: { activeTape: TapeNode[] } };
  const original = engine.addTapeNode;
  const kernels = new Set<string>();
  engine.addTapeNode = function (this: typeof engine, kernelName: unknown, inputs: unknown, outputs: unknown, gradientsFunc: unknown, ...rest: unknown[]) {
    original.call(this, kernelName, inputs, outputs, gradientsFunc, ...rest);
    const node = this.state.activeTape[this.state.activeTape.length - 1];
    const gradient = node.gradient;
    if (gradientsFunc == null && gradient) {
      node.gradient = (dys) => {
        kernels.add(String(kernelName));
        return gradient(dys);
      };
    }
  };
  try {
    await body();
  } finally {
    engine.addTapeNode = original;
  }
  return kernels;
}

describe('tfjs-core gradients (agent/backend/tf-gradients.ts)', () => {
  it('are the registered ones', () => {
    for (const config of GRADIENTS) expect(tf.getGradient(config.kernelName)?.gradFunc, config.kernelName).toBe(config.gradFunc);
  });

  it('are exactly the ones training calls, for every preset and option of the network', async () => {
    const flags = [false, true];
    const configs: NetworkConfig[] = [];
    for (const preset of ['peract', 'cpu', 'c2f'] as PresetName[]) configs.push(resolveConfig(preset, TINY));
    for (const voxelFeatureDim of [0, 4])
      for (const axisLogits of flags)
        for (const languageGrounding of flags)
          for (const surfaceHeight of flags)
            for (const levels of [1, 2])
              for (const dropout of [0, 0.1])
                configs.push(resolveConfig('cpu', { ...TINY, voxelFeatureDim, axisLogits, languageGrounding, surfaceHeight, levels, fineCubeMetres: levels > 1 ? 0.12 : 0, dropout }));
    const called = await registeredGradientsCalled(async () => {
      for (const [i, config] of configs.entries()) {
        for (const lossOptions of [{}, { translationSigmaVoxels: 1.5, rotationSigmaBins: 1 }]) {
          const net = createNetwork(config, i);
          const input = syntheticInput(config, 2, i);
          const targets = syntheticTargets(config, 2, i + 1);
          const { grads } = await computeGradients(net, { input, targets }, lossOptions);
          tf.dispose([...grads.values(), ...Object.values(input), ...Object.values(targets)]);
          disposeNetwork(net);
        }
      }
    });
    expect([...called].sort()).toEqual(GRADIENTS.map((g) => g.kernelName).sort());
  });

  // One use of each kernel, with inputs away from kinks (leaky relu, max).
  const rng = new Rng(5);
  const rand = (shape: number[], lo = -1, hi = 1) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(lo, hi)), shape);
  const awayFromZero = (shape: number[]) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.2, 1)), shape);
  const cases: Record<string, () => { inputs: tf.Tensor[]; f: (...x: tf.Tensor[]) => tf.Tensor }> = {
    Add: () => ({ inputs: [rand([2, 3]), rand([3])], f: (a, b) => tf.add(a, b) }),
    AddN: () => ({ inputs: [rand([2, 3]), rand([2, 3])], f: (a, b) => tf.addN([a, b, a]) }),
    BatchMatMul: () => ({
      inputs: [rand([2, 3, 4]), rand([2, 4, 3])],
      f: (a, b) =>
        tf.concat([tf.matMul(a, b), tf.matMul(a, tf.transpose(b, [0, 2, 1]), false, true), tf.matMul(tf.transpose(a, [0, 2, 1]), b, true, false), tf.matMul(tf.transpose(a, [0, 2, 1]), tf.transpose(b, [0, 2, 1]), true, true)], 1),
    }),
    Concat: () => ({ inputs: [rand([2, 3]), rand([2, 2])], f: (a, b) => tf.concat([a, b, a], 1) }),
    Erf: () => ({ inputs: [rand([2, 3])], f: (x) => tf.erf(x) }),
    LeakyRelu: () => ({ inputs: [awayFromZero([2, 3])], f: (x) => tf.leakyRelu(x, 0.1) }),
    Max: () => ({ inputs: [rand([3, 4])], f: (x) => tf.max(x, 1) }),
    Mean: () => ({ inputs: [rand([2, 3])], f: (x) => tf.mean(x, -1, true) }),
    Multiply: () => ({ inputs: [rand([2, 3]), rand([2, 1])], f: (a, b) => tf.mul(a, b) }),
    Neg: () => ({ inputs: [rand([3])], f: (x) => tf.neg(x) }),
    Pack: () => ({ inputs: [rand([2, 3]), rand([2, 3])], f: (a, b) => tf.stack([a, b], 1) }),
    RealDiv: () => ({ inputs: [rand([2, 3]), rand([3], 0.5, 1)], f: (a, b) => tf.div(a, b) }),
    Reshape: () => ({ inputs: [rand([2, 3])], f: (x) => tf.reshape(x, [3, 2]) }),
    Rsqrt: () => ({ inputs: [rand([2, 3], 0.5, 2)], f: (x) => tf.rsqrt(x) }),
    Slice: () => ({ inputs: [rand([3, 4])], f: (x) => tf.slice(x, [1, 1], [2, -1]) }),
    Softmax: () => ({ inputs: [rand([2, 4])], f: (x) => tf.softmax(x) }),
    Square: () => ({ inputs: [rand([2, 3])], f: (x) => tf.square(x) }),
    Sub: () => ({ inputs: [rand([2, 3]), rand([2, 1])], f: (a, b) => tf.sub(a, b) }),
    Sum: () => ({ inputs: [rand([2, 3, 2])], f: (x) => tf.sum(x, [0, 2]) }),
    Transpose: () => ({ inputs: [rand([2, 3, 4])], f: (x) => tf.transpose(x, [1, 2, 0]) }),
    // Reverses a copy: tfjs's tape keeps the very array unstack returns as the kernel's outputs.
    Unpack: () => ({ inputs: [rand([2, 3])], f: (x) => tf.stack([...tf.unstack(x, 1)].reverse()) }),
  };

  it('have a finite-difference check each', () => {
    expect(Object.keys(cases).sort()).toEqual(GRADIENTS.map((g) => g.kernelName).filter((k) => k !== 'Cast').sort());
  });

  for (const [kernel, make] of Object.entries(cases)) {
    it(`${kernel}: matches finite differences`, () => {
      const { inputs, f } = make();
      const out = f(...inputs);
      const weights = rand(out.shape);
      out.dispose();
      const objective = (...x: tf.Tensor[]) => tf.sum(tf.mul(f(...x), weights));
      const analytic = tf.grads(objective)(inputs).map((g) => g.dataSync());
      const h = 1e-2;
      inputs.forEach((input, k) => {
        const values = input.dataSync().slice();
        values.forEach((v, j) => {
          const at = (d: number) => {
            const moved = values.slice();
            moved[j] = v + d;
            return tf.tidy(() => objective(...inputs.map((t, i) => (i === k ? tf.tensor(moved, t.shape) : t))).dataSync()[0]);
          };
          const numeric = (at(h) - at(-h)) / (2 * h);
          const exact = analytic[k][j];
          expect(Math.abs(exact - numeric), `${kernel} d/dx${k}[${j}]: ${exact} vs ${numeric}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
        });
      });
      tf.dispose([...inputs, weights]);
    });
  }

  it('Cast: passes the gradient straight through', () => {
    const x = tf.tensor([0.3, 1.7, -2.2]);
    const w = tf.tensor([2, 3, 4]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.cast(tf.cast(t, 'int32'), 'float32'), w)))(x);
    expect(Array.from(g.dataSync())).toEqual([2, 3, 4]);
    tf.dispose([x, w, g]);
  });
});

afterAll(() => {
  tf.disposeVariables();
});
