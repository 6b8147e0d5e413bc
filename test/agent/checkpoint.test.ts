import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../agent/backend/backend.js';
import {
  assignParams,
  decodeSafetensors,
  encodeSafetensors,
  expectedParameterShapes,
  latestCheckpoint,
  loadCheckpoint,
  restoreOptimizerState,
  saveCheckpoint,
  saveRunCheckpoint,
  tensorsFromParams,
  type CheckpointPayload,
  type TensorMap,
} from '../../agent/checkpoint/index.js';
import { Optimizer, PRESETS, createNetwork, disposeNetwork, resolveConfig, type NetworkConfig } from '../../agent/network/index.js';
import { PeractError, Rng } from '../../core/index.js';
import { TINY_NETWORK } from './helpers.js';

/** Small enough that fake weights for it are a few kB. */
const TINY: NetworkConfig = resolveConfig('cpu', TINY_NETWORK);

const BOUNDS = [0.1, -0.4, -0.05, 0.9, 0.4, 0.75];
const SHA = 'ab'.repeat(32);

function fakeWeights(config: NetworkConfig, seed: number): TensorMap {
  const rng = new Rng(seed);
  const out: TensorMap = new Map();
  for (const [name, shape] of expectedParameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.normal());
    out.set(name, { shape: [...shape], data });
  }
  return out;
}

function tinyPayload(overrides: Partial<CheckpointPayload> = {}): CheckpointPayload {
  return {
    preset: 'tiny',
    network: TINY,
    training: { optimizer: 'lamb', lr: 5e-4, batch: 2 },
    bounds: BOUNDS,
    step: 7,
    model: fakeWeights(TINY, 1),
    rngStates: { dropout: new Rng(1).state(), data: new Rng(2).state() },
    createdAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function bytesOf(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Bit equality of float32 data; vitest's deep toEqual on MB-sized arrays takes seconds. */
function expectSameBits(actual: ArrayLike<number> | Float32Array, expected: Float32Array, what: string): void {
  const a = actual as Float32Array;
  expect(a.length, what).toBe(expected.length);
  expect(Buffer.compare(bytesOf(a), bytesOf(expected)), `${what}: bits differ`).toBe(0);
}

/** Independent of the module under test: what a third-party reader would do. */
function minimalReader(bytes: Uint8Array): Map<string, { dtype: string; shape: number[]; data: Float32Array }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  expect((8 + n) % 8).toBe(0);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const dataStart = 8 + n;
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__');
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let at = 0;
  const out = new Map<string, { dtype: string; shape: number[]; data: Float32Array }>();
  for (const [name, e] of entries) {
    expect(e.data_offsets[0]).toBe(at);
    expect((dataStart + e.data_offsets[0]) % 4).toBe(0);
    const count = e.shape.reduce((a, b) => a * b, 1);
    expect(e.data_offsets[1] - e.data_offsets[0]).toBe(count * 4);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(dataStart + e.data_offsets[0] + i * 4, true);
    out.set(name, { dtype: e.dtype, shape: e.shape, data });
    at = e.data_offsets[1];
  }
  expect(dataStart + at).toBe(bytes.length);
  return out;
}

async function expectPeractError(promise: Promise<unknown>, code: string, ...fragments: string[]): Promise<PeractError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(PeractError);
  const error = caught as PeractError;
  expect(error.code).toBe(code);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

let root: string;
let counter = 0;
const freshDir = (): string => join(root, `case-${counter++}`);

beforeAll(async () => {
  await selectBackend('cpu');
  root = await fs.mkdtemp(join(tmpdir(), 'peract-checkpoint-'));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('parameter shapes', () => {
  it.each([
    ['cpu', PRESETS.cpu],
    ['tiny', TINY],
  ] as const)('lists exactly the names and shapes createNetwork makes (%s)', (_name, config) => {
    const net = createNetwork({ ...config, headHidden: [...config.headHidden] }, 0);
    try {
      const actual = [...net.params].map(([name, v]) => [name, v.shape]);
      expect([...expectedParameterShapes(config)]).toEqual(actual);
    } finally {
      disposeNetwork(net);
    }
  });
});

describe('safetensors', () => {
  it('keeps every bit, special values included, and a plain reader agrees', () => {
    const special = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1e-45, -3.4028234663852886e38, 1.5]);
    // A NaN with a payload other than the canonical one.
    new Uint32Array(special.buffer)[4] = 0x7fc0beef;
    const tensors: TensorMap = new Map([
      ['a.w', { shape: [2, 4], data: special }],
      ['scalar', { shape: [], data: new Float32Array([42]) }],
      ['empty', { shape: [0, 3], data: new Float32Array(0) }],
      ['odd', { shape: [3], data: new Float32Array([1, 2, 3]) }],
    ]);
    const bytes = encodeSafetensors(tensors, { step: '5' });
    const plain = minimalReader(bytes);
    const decoded = decodeSafetensors('x.safetensors', bytes);
    expect(decoded.metadata).toEqual({ step: '5' });
    expect([...decoded.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [name, t] of tensors) {
      expect(plain.get(name)?.dtype).toBe('F32');
      expect(plain.get(name)?.shape).toEqual(t.shape);
      expect(decoded.tensors.get(name)?.shape).toEqual(t.shape);
      expectSameBits(decoded.tensors.get(name)!.data, t.data, name);
    }
    expect(Object.is(plain.get('a.w')!.data[1], -0)).toBe(true);
  });

  it('reports foreign or damaged files by name and problem', () => {
    const good = encodeSafetensors(new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]));
    const withHeader = (header: object, dataBytes: number): Uint8Array => {
      let json = JSON.stringify(header);
      while ((8 + json.length) % 8 !== 0) json += ' ';
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(Buffer.from(json), 8);
      return out;
    };
    const cases: Array<[Uint8Array, string]> = [
      [good.subarray(0, 5), 'shorter than the 8-byte header length'],
      [good.subarray(0, 20), 'header is truncated'],
      [good.subarray(0, good.length - 1), 'data is truncated'],
      [withHeader({ w: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, 4), "tensor 'w' has unknown dtype \"Q7\""],
      [withHeader({ w: { dtype: 'I32', shape: [1], data_offsets: [0, 4] } }, 4), "tensor 'w' has dtype I32; checkpoints hold F32"],
      [withHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4), 'need 8'],
      [withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), 'a hole'],
      [withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 12), '8 bytes after the last tensor'],
    ];
    for (const [bytes, fragment] of cases) {
      let caught: unknown;
      try {
        decodeSafetensors('/x/model.safetensors', bytes);
      } catch (error) {
        caught = error;
      }
      expect(caught, fragment).toBeInstanceOf(PeractError);
      expect((caught as PeractError).code).toBe('CORRUPT_FILE');
      expect((caught as PeractError).message).toContain('/x/model.safetensors');
      expect((caught as PeractError).message).toContain(fragment);
    }
  });
});

describe('checkpoint round trip (cpu preset network)', () => {
  it('restores every weight, optimizer moment, rng state and the step bit for bit', async () => {
    const config = resolveConfig('cpu');
    const net = createNetwork(config, 3);
    const optimizer = new Optimizer({ kind: 'lamb' });
    const restoredNet = createNetwork(config, 4);
    const restoredOptimizer = new Optimizer({ kind: 'lamb' });
    try {
      // Two updates with fake gradients give non-trivial moments for some parameters only.
      const rng = new Rng(9);
      const names = ['latents', 'layers.0.attn.wq', 'head.out.b'];
      for (let k = 0; k < 2; k++) {
        const grads = new Map(names.map((n) => {
          const p = net.params.get(n)!;
          return [n, tf.tensor(new Float32Array(p.size).map(() => rng.normal()), p.shape)] as const;
        }));
        optimizer.apply(net.params, grads);
        for (const g of grads.values()) g.dispose();
      }
      for (let i = 0; i < 5; i++) net.dropoutRng.nextUint32();
      const dataRng = new Rng(77);
      dataRng.next();

      const dir = join(freshDir(), 'ckpt');
      const model = await tensorsFromParams(net.params);
      const optimizerState = await tensorsFromParams(optimizer.state);
      const training = { optimizer: { kind: 'lamb', lr: 5e-4, weightDecay: 1e-6 }, batch: 8, steps: 20000, seed: 3, augmentation: { yawDeg: 45, translationMetres: 0.125 } };
      const saved = await saveCheckpoint(dir, {
        preset: 'cpu',
        network: config,
        training,
        bounds: BOUNDS,
        step: 2,
        episodeLength: 25,
        datasets: [{ dir: 'data/pick', manifestSha256: SHA }],
        model,
        optimizer: optimizerState,
        optimizerStep: optimizer.step,
        rngStates: { dropout: net.dropoutRng.state(), data: dataRng.state() },
      });
      expect(saved.files['optimizer.safetensors']).toBeDefined();
      expect((await fs.readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.safetensors']);

      const loaded = await loadCheckpoint(dir, { expectConfig: config });
      expect(loaded.config.step).toBe(2);
      expect(loaded.config.optimizerStep).toBe(2);
      expect(loaded.config.network).toEqual(config);
      expect(loaded.config.training).toEqual(training);
      expect(loaded.config.tokenizer).toEqual({ kind: 'words-v1', length: 32, vocab: 512 });
      expect(loaded.config.rotationResolutionDeg).toBe(5);
      expect(loaded.config.gridSize).toBe(48);
      expect(loaded.config.bounds).toEqual(BOUNDS);
      expect(loaded.config.datasets).toEqual([{ dir: 'data/pick', manifestSha256: SHA }]);

      assignParams(restoredNet.params, loaded.model);
      for (const [name, v] of net.params) {
        expectSameBits(restoredNet.params.get(name)!.dataSync() as Float32Array, v.dataSync() as Float32Array, name);
      }
      restoreOptimizerState(restoredOptimizer, loaded.optimizer!, loaded.config.optimizerStep!);
      expect(restoredOptimizer.step).toBe(optimizer.step);
      expect([...restoredOptimizer.state.keys()].sort()).toEqual([...optimizer.state.keys()].sort());
      expect(restoredOptimizer.state.size).toBe(6);
      for (const [name, v] of optimizer.state) {
        expectSameBits(restoredOptimizer.state.get(name)!.dataSync() as Float32Array, v.dataSync() as Float32Array, name);
      }
      const dropout = Rng.fromState(loaded.config.rng.dropout);
      const data = Rng.fromState(loaded.config.rng.data);
      for (let i = 0; i < 3; i++) {
        expect(dropout.nextUint32()).toBe(net.dropoutRng.nextUint32());
        expect(data.nextUint32()).toBe(dataRng.nextUint32());
      }

      // The same update from the original and the restored state gives the same bits.
      const grad = (): Map<string, tf.Tensor> => new Map([['latents', tf.fill(net.params.get('latents')!.shape, 0.25)]]);
      const g1 = grad();
      const g2 = grad();
      optimizer.apply(net.params, g1);
      restoredOptimizer.apply(restoredNet.params, g2);
      for (const g of [...g1.values(), ...g2.values()]) g.dispose();
      expectSameBits(restoredNet.params.get('latents')!.dataSync() as Float32Array, net.params.get('latents')!.dataSync() as Float32Array, 'latents after one more step');

      // A plain reader sees the same bytes as the network holds.
      const plain = minimalReader(await fs.readFile(join(dir, 'model.safetensors')));
      expect([...plain.keys()]).toEqual([...net.params.keys()]);
      expectSameBits(plain.get('position')!.data, net.params.get('position')!.dataSync() as Float32Array, 'position');
    } finally {
      disposeNetwork(net);
      disposeNetwork(restoredNet);
      optimizer.dispose();
      restoredOptimizer.dispose();
    }
  });

  it('refuses to assign tensors that do not fit, leaving the network untouched', async () => {
    const net = createNetwork({ ...TINY, headHidden: [...TINY.headHidden] }, 0);
    try {
      const before = net.params.get('latents')!.dataSync().slice();
      const tensors = fakeWeights(TINY, 5);
      tensors.set('latents', { shape: [8, 8], data: new Float32Array(64) });
      tensors.delete('head.out.b');
      expect(() => assignParams(net.params, tensors)).toThrow(/missing tensor 'head.out.b'/);
      expect(() => assignParams(net.params, tensors)).toThrow(/'latents' has shape \[8,8\] != \[8,16\]/);
      expect(net.params.get('latents')!.dataSync()).toEqual(before);
    } finally {
      disposeNetwork(net);
    }
  });
});

describe('damaged checkpoints', () => {
  async function savedTiny(withOptimizer = false): Promise<string> {
    const dir = freshDir();
    const optimizer: TensorMap | undefined = withOptimizer
      ? new Map([['latents.m', { shape: [8, 16], data: new Float32Array(128).fill(0.5) }]])
      : undefined;
    await saveCheckpoint(dir, tinyPayload(optimizer ? { optimizer } : {}));
    return dir;
  }

  it('a tampered byte fails the checksum, naming the file', async () => {
    const dir = await savedTiny();
    const path = join(dir, 'model.safetensors');
    const bytes = await fs.readFile(path);
    bytes[bytes.length - 3] ^= 0x01;
    await fs.writeFile(path, bytes);
    await expectPeractError(loadCheckpoint(dir), 'CORRUPT_FILE', path, 'checksum');
  });

  it('a truncated file is reported as truncated, naming the file', async () => {
    const dir = await savedTiny(true);
    const path = join(dir, 'optimizer.safetensors');
    const bytes = await fs.readFile(path);
    await fs.writeFile(path, bytes.subarray(0, bytes.length - 100));
    await expectPeractError(loadCheckpoint(dir), 'CORRUPT_FILE', path, 'truncated');
    // Inference does not need the optimizer state and does not read it.
    await expect(loadCheckpoint(dir, { optimizer: false })).resolves.toBeDefined();
  });

  it("an edited network in config.json is a shape mismatch naming the tensor", async () => {
    const dir = await savedTiny();
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await fs.readFile(configPath, 'utf8')) as { network: NetworkConfig };
    config.network.latentDim = 32;
    await fs.writeFile(configPath, JSON.stringify(config));
    await expectPeractError(
      loadCheckpoint(dir),
      'CORRUPT_FILE',
      join(dir, 'model.safetensors'),
      "tensor 'latents' has shape [8,16] != [8,32]",
    );
  });

  it('a config.json without network.axisLogits or surfaceHeight (older versions) takes them from the weights', async () => {
    const fields = [
      ['axisLogits', 'decoder.axes.w'],
      ['surfaceHeight', 'decoder.height.w'],
    ] as const;
    for (const [field, tensor] of fields) {
      for (const on of [false, true]) {
        const dir = freshDir();
        const network = { ...TINY, [field]: on };
        await saveCheckpoint(dir, tinyPayload({ network, model: fakeWeights(network, 1) }));
        const configPath = join(dir, 'config.json');
        const config = JSON.parse(await fs.readFile(configPath, 'utf8')) as { network: Partial<NetworkConfig> };
        delete config.network[field];
        await fs.writeFile(configPath, JSON.stringify(config));
        const loaded = await loadCheckpoint(dir, { expectConfig: network });
        expect(loaded.config.network[field]).toBe(on);
        expect(loaded.model.has(tensor)).toBe(on);
      }
    }
  });

  it('a byte-tokenizer checkpoint from before the grounding term loads with both resolved (tokenizer record, weights)', async () => {
    const dir = freshDir();
    const network: NetworkConfig = { ...TINY, tokenizer: 'perceiver-bytes', vocabSize: 262, languageGrounding: false };
    await saveCheckpoint(dir, tinyPayload({ network, model: fakeWeights(network, 1) }));
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await fs.readFile(configPath, 'utf8')) as { network: Partial<NetworkConfig>; tokenizer: { kind: string } };
    expect(config.tokenizer.kind).toBe('perceiver-bytes');
    delete config.network.tokenizer;
    delete config.network.languageGrounding;
    await fs.writeFile(configPath, JSON.stringify(config));
    const loaded = await loadCheckpoint(dir, { expectConfig: network });
    expect(loaded.config.network.tokenizer).toBe('perceiver-bytes');
    expect(loaded.config.network.languageGrounding).toBe(false);
    expect(loaded.model.has('grounding.words')).toBe(false);
  });

  it('refuses a tokenizer record that disagrees with the network, naming the field', async () => {
    const dir = freshDir();
    await saveCheckpoint(dir, tinyPayload({ model: fakeWeights(TINY, 1) }));
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await fs.readFile(configPath, 'utf8')) as { tokenizer: { kind: string } };
    config.tokenizer.kind = 'perceiver-bytes';
    await fs.writeFile(configPath, JSON.stringify(config));
    await expectPeractError(loadCheckpoint(dir), 'CORRUPT_FILE', configPath, 'tokenizer.kind perceiver-bytes differs from network.tokenizer words-v1');
  });

  it('a weight file missing a tensor names the tensor', async () => {
    const dir = freshDir();
    const model = fakeWeights(TINY, 1);
    const config = await saveCheckpoint(dir, tinyPayload({ model }));
    model.delete('layers.0.attn.wq');
    const bytes = encodeSafetensors(model);
    await fs.writeFile(join(dir, 'model.safetensors'), bytes);
    const { createHash } = await import('node:crypto');
    const edited = { ...config, files: { 'model.safetensors': { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } } };
    await fs.writeFile(join(dir, 'config.json'), JSON.stringify(edited));
    await expectPeractError(loadCheckpoint(dir), 'CORRUPT_FILE', "missing tensor 'layers.0.attn.wq'");
  });

  it('another formatVersion is VERSION_MISMATCH', async () => {
    const dir = await savedTiny();
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await fs.readFile(configPath, 'utf8')) as Record<string, unknown>;
    config.formatVersion = 2;
    await fs.writeFile(configPath, JSON.stringify(config));
    await expectPeractError(loadCheckpoint(dir), 'VERSION_MISMATCH', configPath, 'formatVersion 2');
  });

  it('missing files and folders are named', async () => {
    const dir = await savedTiny(true);
    await fs.rm(join(dir, 'optimizer.safetensors'));
    await expectPeractError(loadCheckpoint(dir), 'CORRUPT_FILE', join(dir, 'optimizer.safetensors'), 'missing');
    await fs.rm(join(dir, 'config.json'));
    await expectPeractError(loadCheckpoint(dir), 'CORRUPT_FILE', join(dir, 'config.json'), 'interrupted');
    const absent = join(root, 'no-such-checkpoint');
    await expectPeractError(loadCheckpoint(absent), 'NOT_FOUND', absent);
  });

  it('a config of another network is refused by expectConfig, naming fields and tensors', async () => {
    const dir = await savedTiny();
    const error = await expectPeractError(
      loadCheckpoint(dir, { expectConfig: { ...TINY, numLatents: 4 } }),
      'INVALID_ARGUMENT',
      'numLatents: checkpoint 8, expected 4',
      "'latents' [8,16] != [4,16]",
    );
    expect(error.field).toBe('expectConfig');
  });
});

describe('saving', () => {
  it('refuses payloads that could not load back, naming the field', async () => {
    const model = fakeWeights(TINY, 1);
    model.set('position', { shape: [1, 1], data: new Float32Array(1) });
    await expectPeractError(saveCheckpoint(freshDir(), tinyPayload({ model })), 'INVALID_ARGUMENT', 'payload.model', "'position'");
    await expectPeractError(saveCheckpoint(freshDir(), tinyPayload({ gridSize: 16 })), 'INVALID_ARGUMENT', 'payload.gridSize');
    await expectPeractError(
      saveCheckpoint(freshDir(), tinyPayload({ rngStates: { data: [1, 2, 3] } })),
      'INVALID_ARGUMENT',
      'payload.rngStates.data',
    );
    await expectPeractError(saveCheckpoint(freshDir(), tinyPayload({ training: { lr: NaN } })), 'INVALID_ARGUMENT', 'payload.training.lr');
    await expectPeractError(
      saveCheckpoint(freshDir(), tinyPayload({ optimizer: new Map([['nope.m', { shape: [1], data: new Float32Array(1) }]]) })),
      'INVALID_ARGUMENT',
      "'nope.m'",
    );
  });

  it('rewriting a folder without optimizer state removes the stale file', async () => {
    const dir = freshDir();
    await saveCheckpoint(dir, tinyPayload({ optimizer: new Map([['latents.v', { shape: [8, 16], data: new Float32Array(128) }]]) }));
    await saveCheckpoint(dir, tinyPayload({ step: 8 }));
    expect((await fs.readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
    const loaded = await loadCheckpoint(dir);
    expect(loaded.optimizer).toBeUndefined();
    expect(loaded.config.step).toBe(8);
  });

  it('config.json is byte-identical for identical payloads', async () => {
    const a = freshDir();
    const b = freshDir();
    await saveCheckpoint(a, tinyPayload());
    await saveCheckpoint(b, tinyPayload());
    expect(await fs.readFile(join(a, 'config.json'), 'utf8')).toBe(await fs.readFile(join(b, 'config.json'), 'utf8'));
  });
});

describe('run folders', () => {
  it('latestCheckpoint returns the newest complete checkpoint, ignoring an interrupted save', async () => {
    const run = freshDir();
    await fs.mkdir(run);
    expect(await latestCheckpoint(run)).toBeUndefined();
    const { step: _ignored, ...payload } = tinyPayload();
    await saveRunCheckpoint(run, 500, payload);
    const second = await saveRunCheckpoint(run, 1000, payload);
    expect(second.dir).toBe(join(run, 'checkpoints', 'step-001000'));
    // An interrupted save: weights written, config.json never was.
    const interrupted = join(run, 'checkpoints', 'step-001500');
    await fs.mkdir(interrupted);
    await fs.copyFile(join(second.dir, 'model.safetensors'), join(interrupted, 'model.safetensors'));
    await fs.mkdir(join(run, 'checkpoints', 'notes'));

    expect(await latestCheckpoint(run)).toEqual({ dir: second.dir, step: 1000 });
    const pointer = JSON.parse(await fs.readFile(join(run, 'latest'), 'utf8')) as { checkpoint: string; step: number };
    expect(pointer).toMatchObject({ checkpoint: 'checkpoints/step-001000', step: 1000 });

    // Re-saving an older step does not move the pointer back.
    await saveRunCheckpoint(run, 500, payload);
    expect((JSON.parse(await fs.readFile(join(run, 'latest'), 'utf8')) as { step: number }).step).toBe(1000);
    const loaded = await loadCheckpoint((await latestCheckpoint(run))!.dir);
    expect(loaded.config.step).toBe(1000);

    const absent = join(root, 'no-such-run');
    await expectPeractError(latestCheckpoint(absent), 'NOT_FOUND', absent);
  });
});
