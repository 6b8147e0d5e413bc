import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../agent/backend/backend.js';
import {
  Optimizer,
  PRESETS,
  SURFACE_HEIGHT_CLASSES,
  SURFACE_HEIGHT_MAX,
  attention,
  createNetwork,
  crossEntropy,
  derivedSizes,
  disposeNetwork,
  forward,
  loss,
  patchify,
  resolveConfig,
  surfaceHeightClasses,
  surfaceHeightTableGradient,
  trainStep,
  unpatchify,
  type ActionTargets,
  type NetworkConfig,
  type NetworkInput,
  type PeractNetwork,
} from '../../agent/network/index.js';
import { PeractError, Rng } from '../../core/index.js';
import { CHANNEL, SPECIAL_TOKENS, surfaceHeights, wordId } from '../../perception/index.js';
import { TINY_NETWORK } from './helpers.js';

/** A network small enough for finite differences and overfitting in a few seconds. */
const TINY: Partial<NetworkConfig> = { ...TINY_NETWORK, dropout: 0 };

function randomInput(config: NetworkConfig, batch: number, seed: number): NetworkInput {
  const rng = new Rng(seed);
  const V = config.gridSize;
  const voxels = new Float32Array(batch * V ** 3 * config.inputChannels).map(() => (rng.next() < 0.2 ? rng.uniform(-1, 1) : 0));
  const proprio = new Float32Array(batch * config.proprioDim).map(() => rng.uniform(-1, 1));
  const ids = new Int32Array(batch * config.languageLength).map(() => rng.int(0, config.vocabSize - 1));
  return {
    voxels: tf.tensor(voxels, [batch, V, V, V, config.inputChannels]),
    proprio: tf.tensor2d(proprio, [batch, config.proprioDim]),
    language: tf.tensor2d(ids, [batch, config.languageLength], 'int32'),
  };
}

function randomTargets(config: NetworkConfig, batch: number, seed: number): ActionTargets {
  const rng = new Rng(seed);
  const n = config.gridSize ** 3;
  return {
    translation: tf.tensor1d(Array.from({ length: batch }, () => rng.int(0, n - 1)), 'int32'),
    rotation: tf.tensor2d(Array.from({ length: batch * 3 }, () => rng.int(0, config.rotationBins - 1)), [batch, 3], 'int32'),
    gripper: tf.tensor1d(Array.from({ length: batch }, () => rng.int(0, 1)), 'int32'),
    collision: tf.tensor1d(Array.from({ length: batch }, () => rng.int(0, 1)), 'int32'),
  };
}

function lossValue(net: PeractNetwork, input: NetworkInput, targets: ActionTargets): number {
  return tf.tidy(() => loss(forward(net, input), targets).total.dataSync()[0]);
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('attention', () => {
  function naive(
    q: Float32Array, kv: Float32Array, w: Record<'wq' | 'wk' | 'wv' | 'wo' | 'bo', Float32Array>,
    dims: { B: number; nq: number; nk: number; H: number; dh: number; dq: number; dkv: number; dout: number; shared: boolean },
  ): Float64Array {
    const { B, nq, nk, H, dh, dq, dkv, dout, shared } = dims;
    const inner = H * dh;
    const proj = (x: Float32Array, row: number, width: number, m: Float32Array, col: number): number => {
      let s = 0;
      for (let i = 0; i < width; i++) s += x[row * width + i] * m[i * inner + col];
      return s;
    };
    const out = new Float64Array(B * nq * dout);
    for (let b = 0; b < B; b++) {
      const concat = new Float64Array(nq * inner);
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < nq; i++) {
          const qRow = (shared ? 0 : b * nq) + i;
          const scores = new Float64Array(nk);
          for (let j = 0; j < nk; j++) {
            let s = 0;
            for (let d = 0; d < dh; d++) s += proj(q, qRow, dq, w.wq, h * dh + d) * proj(kv, b * nk + j, dkv, w.wk, h * dh + d);
            scores[j] = s / Math.sqrt(dh);
          }
          const max = Math.max(...scores);
          let z = 0;
          for (let j = 0; j < nk; j++) z += Math.exp(scores[j] - max);
          for (let d = 0; d < dh; d++) {
            let s = 0;
            for (let j = 0; j < nk; j++) s += (Math.exp(scores[j] - max) / z) * proj(kv, b * nk + j, dkv, w.wv, h * dh + d);
            concat[i * inner + h * dh + d] = s;
          }
        }
      }
      for (let i = 0; i < nq; i++) {
        for (let o = 0; o < dout; o++) {
          let s = w.bo[o];
          for (let c = 0; c < inner; c++) s += concat[i * inner + c] * w.wo[c * dout + o];
          out[(b * nq + i) * dout + o] = s;
        }
      }
    }
    return out;
  }

  for (const shared of [false, true]) {
    it(`matches a naive loop implementation (${shared ? 'shared queries' : 'per-item queries'})`, () => {
      const rng = new Rng(shared ? 11 : 12);
      const dims = { B: 3, nq: 5, nk: 7, H: 3, dh: 4, dq: 6, dkv: 5, dout: 4, shared };
      const inner = dims.H * dims.dh;
      const r = (n: number): Float32Array => new Float32Array(n).map(() => rng.normal());
      const q = r((shared ? 1 : dims.B) * dims.nq * dims.dq);
      const kv = r(dims.B * dims.nk * dims.dkv);
      const w = { wq: r(dims.dq * inner), wk: r(dims.dkv * inner), wv: r(dims.dkv * inner), wo: r(inner * dims.dout), bo: r(dims.dout) };
      const got = tf.tidy(() =>
        attention(
          tf.tensor2d(q, [(shared ? 1 : dims.B) * dims.nq, dims.dq]),
          tf.tensor2d(kv, [dims.B * dims.nk, dims.dkv]),
          {
            wq: tf.tensor2d(w.wq, [dims.dq, inner]),
            wk: tf.tensor2d(w.wk, [dims.dkv, inner]),
            wv: tf.tensor2d(w.wv, [dims.dkv, inner]),
            wo: tf.tensor2d(w.wo, [inner, dims.dout]),
            bo: tf.tensor1d(w.bo),
          },
          { batch: dims.B, queriesPerItem: dims.nq, keysPerItem: dims.nk, heads: dims.H, headDim: dims.dh, sharedQueries: shared },
        ).dataSync(),
      );
      const want = naive(q, kv, w, dims);
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      expect(worst).toBeLessThan(1e-4);
    });
  }
});

describe('patchify / unpatchify', () => {
  it('puts voxel (x, y, z) of patch (X, Y, Z) at row X*P*P+Y*P+Z, column a*p*p+b*p+c, and inverts', () => {
    const [B, V, p, C] = [2, 6, 3, 2];
    const P = V / p;
    const values = new Float32Array(B * V ** 3 * C).map((_, i) => i);
    const got = tf.tidy(() => patchify(tf.tensor2d(values, [B * V ** 3, C]), B, V, p, C).arraySync());
    for (const [b, x, y, z, c] of [[0, 0, 0, 0, 0], [1, 5, 2, 4, 1], [0, 3, 4, 1, 1], [1, 2, 5, 5, 0]]) {
      const row = b * P ** 3 + Math.floor(x / p) * P * P + Math.floor(y / p) * P + Math.floor(z / p);
      const col = (((x % p) * p + (y % p)) * p + (z % p)) * C + c;
      expect(got[row][col]).toBe((((b * V + x) * V + y) * V + z) * C + c);
    }
    const single = new Float32Array(B * V ** 3).map((_, i) => i);
    const back = tf.tidy(() => unpatchify(patchify(tf.tensor2d(single, [B * V ** 3, 1]), B, V, p, 1), B, V, p).dataSync());
    expect(Array.from(back)).toEqual(Array.from(single));
  });
});

type Sampler = (config: NetworkConfig, batch: number, seed: number) => { input: NetworkInput; targets: ActionTargets };

/** 40 Adam steps on batches of 8 from `sample` (seeds firstSeed..), then the argmax translation accuracy on 64 fresh samples. */
async function translationAccuracyAfterTraining(config: NetworkConfig, sample: Sampler, firstSeed: number, testSeed: number): Promise<number> {
  const net = createNetwork(config, 3);
  const optimizer = new Optimizer({ kind: 'adam', learningRate: 1e-2 });
  for (let i = 0; i < 40; i++) {
    const batch = sample(config, 8, firstSeed + i);
    await trainStep(net, optimizer, batch);
    tf.dispose([...Object.values(batch.input), ...Object.values(batch.targets)]);
  }
  const test = sample(config, 64, testSeed);
  const correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(forward(net, test.input).translation, 1), test.targets.translation), 'float32')).dataSync()[0]);
  tf.dispose([...Object.values(test.input), ...Object.values(test.targets)]);
  optimizer.dispose();
  disposeNetwork(net);
  return correct / 64;
}

describe('network', () => {
  it('gives the documented output shapes for the cpu preset and a shrunken peract preset', () => {
    const cases: [NetworkConfig, number][] = [
      [resolveConfig('cpu'), 1],
      [resolveConfig('peract', { gridSize: 20, patchSize: 5, numLatents: 16, selfAttentionLayers: 1 }), 2],
    ];
    for (const [config, B] of cases) {
      const net = createNetwork(config, 3);
      const input = randomInput(config, B, 1);
      const shapes = tf.tidy(() => {
        const out = forward(net, input);
        const finite = [out.translation, out.rotation, out.gripper, out.collision].every((t) => tf.all(tf.isFinite(t)).dataSync()[0] === 1);
        expect(finite).toBe(true);
        return [out.translation.shape, out.rotation.shape, out.gripper.shape, out.collision.shape];
      });
      expect(shapes).toEqual([[B, config.gridSize ** 3], [B, 3, 72], [B, 2], [B, 2]]);
      tf.dispose(Object.values(input));
      disposeNetwork(net);
    }
    // The full paper preset, by its derived sizes (a 100^3 forward pass takes seconds).
    const paper = derivedSizes(PRESETS.peract);
    expect(paper).toMatchObject({ tokenDim: 128, numPatches: 8000, patchVolume: 125, numVoxels: 1e6, outputLogits: 220 });
  });

  it('initialises deterministically from the seed, under stable names', () => {
    const config = resolveConfig('cpu', TINY);
    const a = createNetwork(config, 42);
    const b = createNetwork(config, 42);
    const c = createNetwork(config, 43);
    expect([...a.params.keys()]).toEqual([...b.params.keys()]);
    expect(a.params.has('layers.0.attn.wq')).toBe(true);
    expect(a.params.has('head.out.w')).toBe(true);
    let sameAsB = true;
    let sameAsC = true;
    for (const [name, v] of a.params) {
      const x = v.dataSync();
      const y = (b.params.get(name) as tf.Variable).dataSync();
      const z = (c.params.get(name) as tf.Variable).dataSync();
      if (x.some((value, i) => value !== y[i])) sameAsB = false;
      const startsAtZero = name === 'decoder.height.w';
      if (name.endsWith('.w') && !startsAtZero && x.every((value, i) => value === z[i])) sameAsC = false;
    }
    expect(sameAsB).toBe(true);
    expect(sameAsC).toBe(true); // every randomly started weight matrix differs under another seed
    [a, b, c].forEach(disposeNetwork);
  });

  it('rejects bad configs and inputs with INVALID_ARGUMENT naming the field', () => {
    expect(() => resolveConfig('cpu', { patchSize: 5 })).toThrow(/config\.patchSize/);
    expect(() => resolveConfig('nope' as 'cpu')).toThrow(PeractError);
    const config = resolveConfig('cpu', TINY);
    const net = createNetwork(config, 1);
    const input = randomInput(config, 1, 2);
    const bad = { ...input, proprio: tf.zeros([1, 3]) };
    expect(() => forward(net, bad)).toThrow(/input\.proprio/);
    const badIds = { ...input, language: tf.zeros([1, config.languageLength]) };
    expect(() => forward(net, badIds)).toThrow(/int32/);
    tf.dispose([...Object.values(input), bad.proprio, badIds.language]);
    disposeNetwork(net);
  });

  for (const voxelFeatureDim of [4, 0]) {
  it(`computes gradients of every parameter on wasm that match finite differences (1x1x1 features ${voxelFeatureDim})`, () => {
    expect(tf.getBackend()).toBe('wasm');
    const config = resolveConfig('cpu', { ...TINY, voxelFeatureDim });
    const net = createNetwork(config, 5);
    const input = randomInput(config, 2, 6);
    const targets = randomTargets(config, 2, 7);
    const names = [...net.params.keys()];
    const vars = names.map((n) => net.params.get(n) as tf.Variable);
    const { grads } = tf.variableGrads(() => loss(forward(net, input), targets).total, vars);
    for (const [i, name] of names.entries()) {
      const g = grads[vars[i].name];
      expect(g, name).toBeDefined();
      expect(tf.tidy(() => tf.all(tf.isFinite(g)).dataSync()[0]), name).toBe(1);
    }
    const checked = ['voxel.in.w', 'voxel.patch.w', 'language.embedding', 'position', 'latents', 'encoder.cross.wk',
      'layers.0.attn.wq', 'layers.0.ff.in.w', 'decoder.cross.wv', 'decoder.skip.w', 'decoder.shuffle.w', 'decoder.axes.w', 'head.dense0.w', 'head.out.b'];
    const eps = 1e-2;
    for (const name of checked.filter((n) => net.params.has(n))) {
      const v = net.params.get(name) as tf.Variable;
      const g = grads[v.name].dataSync();
      let index = 0;
      for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[index])) index = i;
      const original = v.dataSync().slice();
      const perturbed = (delta: number): number => {
        const values = original.slice();
        values[index] += delta;
        v.assign(tf.tensor(values, v.shape));
        return lossValue(net, input, targets);
      };
      const numeric = (perturbed(eps) - perturbed(-eps)) / (2 * eps);
      v.assign(tf.tensor(original, v.shape));
      expect(Math.abs(numeric - g[index]), `${name}[${index}] analytic ${g[index]} numeric ${numeric}`).toBeLessThan(
        0.03 * Math.abs(g[index]) + 2e-3,
      );
    }
    tf.dispose([...Object.values(grads), ...Object.values(input), ...Object.values(targets)]);
    disposeNetwork(net);
  });
  }

  for (const kind of ['lamb', 'adam'] as const) {
    it(`overfits a tiny fixed batch with ${kind} and leaks no tensors`, async () => {
      const config = resolveConfig('cpu', { ...TINY, dropout: 0.1 });
      const net = createNetwork(config, 9);
      const input = randomInput(config, 4, 10);
      const targets = randomTargets(config, 4, 11);
      const optimizer = new Optimizer({ kind, learningRate: kind === 'lamb' ? 1e-2 : 3e-3 });
      const first = await trainStep(net, optimizer, { input, targets });
      const tensors = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 60; i++) last = await trainStep(net, optimizer, { input, targets });
      expect(tf.memory().numTensors).toBe(tensors);
      expect(optimizer.step).toBe(61);
      expect(Number.isFinite(last.total)).toBe(true);
      const evaluated = lossValue(net, input, targets);
      expect(evaluated).toBeLessThan(0.2 * first.total);
      expect(last.translation).toBeLessThan(0.3 * first.translation);
      tf.dispose([...Object.values(input), ...Object.values(targets)]);
      optimizer.dispose();
      disposeNetwork(net);
    });
  }

  it('learns from the grounding term which of two coloured voxels the goal names, where the network without it is at chance', async () => {
    // Two occupied voxels, one red and one blue, anywhere in the lower half; the goal names one
    // colour and the target is the empty voxel at the top of its column (as an approach pose is
    // above a block). Nothing but the words tells them apart.
    const red = wordId('red');
    const blue = wordId('blue');
    const sample = (config: NetworkConfig, batch: number, seed: number): { input: NetworkInput; targets: ActionTargets } => {
      const rng = new Rng(seed);
      const V = config.gridSize;
      const C = config.inputChannels;
      const voxels = new Float32Array(batch * V ** 3 * C);
      const ids = new Int32Array(batch * config.languageLength);
      const labels: number[] = [];
      for (let b = 0; b < batch; b++) {
        const lowerHalf = Array.from({ length: V ** 3 }, (_, i) => i).filter((i) => i % V < V / 2);
        const cells = rng.shuffle(lowerHalf).slice(0, 2);
        cells.forEach((cell, k) => {
          const o = (b * V ** 3 + cell) * C;
          voxels.set(k === 0 ? [1, -1, -1] : [-1, -1, 1], o + CHANNEL.meanRgb);
          voxels[o + CHANNEL.occupancy] = 1;
        });
        const pick = rng.int(0, 1);
        ids.set([SPECIAL_TOKENS.CLS, pick === 0 ? red : blue, SPECIAL_TOKENS.SEP], b * config.languageLength);
        labels.push(cells[pick] - (cells[pick] % V) + V - 1);
      }
      return {
        input: {
          voxels: tf.tensor(voxels, [batch, V, V, V, C]),
          proprio: tf.zeros([batch, config.proprioDim]),
          language: tf.tensor2d(ids, [batch, config.languageLength], 'int32'),
        },
        targets: { translation: tf.tensor1d(labels, 'int32'), rotation: tf.zeros([batch, 3], 'int32'), gripper: tf.zeros([batch], 'int32'), collision: tf.zeros([batch], 'int32') },
      };
    };
    // Without the surface-height term, which alone finds the top of either column (chance: 1/2).
    const accuracyAfterTraining = (languageGrounding: boolean): Promise<number> =>
      translationAccuracyAfterTraining(resolveConfig('cpu', { ...TINY, languageGrounding, surfaceHeight: false }), sample, 100, 7);
    expect(await accuracyAfterTraining(true)).toBeGreaterThan(0.9);
    expect(await accuracyAfterTraining(false)).toBeLessThan(0.25);
  });

  it('sums the surface-height gradient into its classes the same way by scatterND (wasm) and by one-hot matMul (webgpu)', () => {
    const rng = new Rng(31);
    const [batch, voxels] = [3, 512];
    const dy = Array.from({ length: batch * voxels }, () => rng.uniform(-1, 1));
    const classes = Array.from({ length: batch * voxels }, () => rng.int(0, SURFACE_HEIGHT_CLASSES - 1));
    const expected = new Float64Array(batch * SURFACE_HEIGHT_CLASSES);
    classes.forEach((k, i) => (expected[Math.floor(i / voxels) * SURFACE_HEIGHT_CLASSES + k] += dy[i]));
    for (const method of ['scatter', 'one-hot'] as const) {
      const got = tf.tidy(() => surfaceHeightTableGradient(tf.tensor2d(dy, [batch, voxels]), tf.tensor2d(classes, [batch, voxels], 'int32'), method).dataSync());
      expect(got.length).toBe(expected.length);
      got.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 3));
    }
  });

  it('gives every voxel its height above the nearest occupied voxel below, in voxels', () => {
    const V = 32;
    const C = 10;
    const grid = new Float32Array(V ** 3 * C); // [x][y][z]; the columns x = 0, y = 0..3
    const occupy = (column: number, z: number): void => {
      grid[(column * V + z) * C + CHANNEL.occupancy] = 1;
    };
    occupy(0, 2); // a surface at z = 2
    occupy(1, 0); // a floor, and a block at 20-21
    occupy(1, 20);
    occupy(1, 21);
    // column 2 stays empty; column 3 has a surface at 3 only
    occupy(3, 3);
    const classes = tf.tidy(() => Array.from(surfaceHeightClasses(tf.tensor2d(grid, [V ** 3, C]), 1, V).dataSync()));
    const none = SURFACE_HEIGHT_MAX + 1;
    const column = (c: number): number[] => classes.slice(c * V, (c + 1) * V);
    expect(column(0).slice(0, 16)).toEqual([none, none, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, none]);
    expect(column(1)[0]).toBe(0);
    expect(column(1)[12]).toBe(12);
    expect(column(1)[13]).toBe(none); // 13 above the floor: past the last told-apart height
    expect(column(1).slice(19, 25)).toEqual([none, 0, 0, 1, 2, 3]);
    expect(column(2)).toEqual(Array.from({ length: V }, () => none));
    expect(column(3).slice(0, 6)).toEqual([none, none, none, 0, 1, 2]);
    // The encoder's JavaScript version gives the same classes.
    expect(Array.from(surfaceHeights(grid, V, SURFACE_HEIGHT_MAX))).toEqual(classes);
  });

  it('computes the same surface heights in the graph as the encoder, over a batch of random scenes', () => {
    const rng = new Rng(5);
    const V = 16;
    const batch = 3;
    const grid = new Float32Array(batch * V ** 3 * 10);
    for (let v = 0; v < batch * V ** 3; v++) if (rng.next() < 0.08) grid[v * 10 + CHANNEL.occupancy] = 1;
    const inGraph = tf.tidy(() => Array.from(surfaceHeightClasses(tf.tensor2d(grid, [batch * V ** 3, 10]), batch, V).dataSync()));
    expect(inGraph).toEqual(Array.from(surfaceHeights(grid, V, SURFACE_HEIGHT_MAX)));
    // And the network gives the same translation logits with the classes passed or computed.
    const config = resolveConfig('cpu', { ...TINY, gridSize: V, patchSize: 4 });
    const net = createNetwork(config, 4);
    tf.tidy(() => {
      const input = { ...randomInput(config, batch, 6), voxels: tf.tensor(grid, [batch, V, V, V, 10]) };
      const heights = tf.tensor2d(surfaceHeights(grid, V, SURFACE_HEIGHT_MAX), [batch, V ** 3], 'int32');
      (net.params.get('decoder.height.w') as tf.Variable).assign(tf.randomNormal([derivedSizes(config).headInputDim, SURFACE_HEIGHT_MAX + 2], 0, 1, 'float32', 7));
      const computed = forward(net, input).translation.dataSync();
      const passed = forward(net, { ...input, surfaceHeights: heights }).translation.dataSync();
      expect(Array.from(passed)).toEqual(Array.from(computed));
      expect(() => forward(net, { ...input, surfaceHeights: tf.zeros([batch, V ** 3]) })).toThrow(/input\.surfaceHeights/);
    });
    disposeNetwork(net);
  });

  it('learns from the surface-height term how high over a block the target is, where the network without it is at chance', async () => {
    // One occupied voxel anywhere low in the grid; the target is the empty voxel three above it
    // (an approach pose over a block). Without the term a token has to learn where, inside some
    // other patch, the block below is.
    const sample = (config: NetworkConfig, batch: number, seed: number): { input: NetworkInput; targets: ActionTargets } => {
      const rng = new Rng(seed);
      const V = config.gridSize;
      const C = config.inputChannels;
      const voxels = new Float32Array(batch * V ** 3 * C);
      const labels: number[] = [];
      for (let b = 0; b < batch; b++) {
        const cell = (rng.int(0, V - 1) * V + rng.int(0, V - 1)) * V + rng.int(0, V - 4);
        voxels[(b * V ** 3 + cell) * C + CHANNEL.occupancy] = 1;
        labels.push(cell + 3);
      }
      return {
        input: { voxels: tf.tensor(voxels, [batch, V, V, V, C]), proprio: tf.zeros([batch, config.proprioDim]), language: tf.zeros([batch, config.languageLength], 'int32') },
        targets: { translation: tf.tensor1d(labels, 'int32'), rotation: tf.zeros([batch, 3], 'int32'), gripper: tf.zeros([batch], 'int32'), collision: tf.zeros([batch], 'int32') },
      };
    };
    const accuracyAfterTraining = (surfaceHeight: boolean): Promise<number> =>
      translationAccuracyAfterTraining(resolveConfig('cpu', { ...TINY, languageGrounding: false, surfaceHeight }), sample, 200, 9);
    expect(await accuracyAfterTraining(true)).toBeGreaterThan(0.9);
    expect(await accuracyAfterTraining(false)).toBeLessThan(0.25);
  });

  it('repeats a training run bit for bit from the same seeds (dropout included)', async () => {
    const config = resolveConfig('cpu', { ...TINY, dropout: 0.1 });
    const run = async (): Promise<number[]> => {
      const net = createNetwork(config, 21);
      const optimizer = new Optimizer();
      const input = randomInput(config, 2, 22);
      const targets = randomTargets(config, 2, 23);
      const totals: number[] = [];
      for (let i = 0; i < 3; i++) totals.push((await trainStep(net, optimizer, { input, targets })).total);
      tf.dispose([...Object.values(input), ...Object.values(targets)]);
      optimizer.dispose();
      disposeNetwork(net);
      return totals;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first[2]).not.toBe(first[0]);
  });

  it('cross-entropy equals -log softmax at the label, averaged', () => {
    const value = tf.tidy(() => crossEntropy(tf.tensor2d([[1, 2, 3], [0, 0, 0]]), tf.tensor1d([2, 0], 'int32')).dataSync()[0]);
    const l1 = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
    const l2 = Math.log(3);
    expect(value).toBeCloseTo((l1 + l2) / 2, 5);
  });
});

afterAll(() => {
  tf.disposeVariables();
});
