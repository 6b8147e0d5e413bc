/**
 * Seeded synthetic network inputs and targets for the network benchmarks: about 5 % occupied
 * voxels, like a tabletop scene. Shared by network.bench.ts and the GPU entry point (gpu.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { forward, type ActionTargets, type NetworkConfig, type NetworkInput, type PeractNetwork } from '../agent/network/index.js';
import { Rng } from '../core/index.js';
import { selectBackend, type BackendName } from '../agent/backend/backend.js';
import type { BatchArrays } from '../agent/encoding/samples.js';
import { surfaceHeights } from '../perception/index.js';
import { SURFACE_HEIGHT_MAX } from '../agent/network/index.js';

export function syntheticInput(config: NetworkConfig, batch: number, seed: number): NetworkInput {
  const rng = new Rng(seed);
  const V = config.gridSize;
  const voxels = new Float32Array(batch * V ** 3 * config.inputChannels);
  for (let v = 0; v < batch * V ** 3; v++) {
    if (rng.next() < 0.05) for (let c = 0; c < config.inputChannels; c++) voxels[v * config.inputChannels + c] = rng.uniform(-1, 1);
  }
  return {
    voxels: tf.tensor(voxels, [batch, V, V, V, config.inputChannels]),
    proprio: tf.tensor2d(Array.from({ length: batch * config.proprioDim }, () => rng.uniform(-1, 1)), [batch, config.proprioDim]),
    language: tf.tensor2d(
      Array.from({ length: batch * config.languageLength }, () => rng.int(0, config.vocabSize - 1)),
      [batch, config.languageLength],
      'int32',
    ),
    // Coarse-to-fine: items alternate coarse, fine (as the data pipeline's batches do).
    ...(config.levels > 1 ? { level: tf.tensor1d(Array.from({ length: batch }, (_, i) => i % config.levels), 'int32') } : {}),
  };
}

export function syntheticTargets(config: NetworkConfig, batch: number, seed: number): ActionTargets {
  const rng = new Rng(seed);
  return {
    translation: tf.tensor1d(Array.from({ length: batch }, () => rng.int(0, config.gridSize ** 3 - 1)), 'int32'),
    rotation: tf.tensor2d(Array.from({ length: batch * 3 }, () => rng.int(0, config.rotationBins - 1)), [batch, 3], 'int32'),
    gripper: tf.tensor1d(Array.from({ length: batch }, () => rng.int(0, 1)), 'int32'),
    collision: tf.tensor1d(Array.from({ length: batch }, () => rng.int(0, 1)), 'int32'),
    ...(config.levels > 1 ? { headWeight: tf.tensor1d(Array.from({ length: batch }, (_, i) => (i % config.levels === config.levels - 1 ? 1 : 0)), 'float32') } : {}),
  };
}

/** One inference as an agent acts: forward, then read back everything it needs (data(), not dataSync(): webgpu cannot read synchronously in Node). */
export async function actOnce(net: PeractNetwork, x: NetworkInput): Promise<void> {
  const picked = tf.tidy(() => {
    const out = forward(net, x);
    return [tf.argMax(out.translation, 1), tf.argMax(out.rotation, 2), out.gripper, out.collision];
  });
  await Promise.all(picked.map((t) => t.data()));
  tf.dispose(picked);
}

/** Arrays of a synthetic batch (what the data pipeline hands the trainer). */
export async function syntheticBatchArrays(config: NetworkConfig, n: number, seed: number): Promise<BatchArrays> {
  const x = syntheticInput(config, n, seed);
  const y = syntheticTargets(config, n, seed + 1);
  const voxels = new Float32Array(await x.voxels.data());
  const out: BatchArrays = {
    voxels,
    surfaceHeights: surfaceHeights(voxels, config.gridSize, SURFACE_HEIGHT_MAX),
    proprio: new Float32Array(await x.proprio.data()),
    language: new Int32Array(await x.language.data()),
    level: x.level ? new Int32Array(await x.level.data()) : new Int32Array(n),
    headWeight: y.headWeight ? new Float32Array(await y.headWeight.data()) : new Float32Array(n).fill(1),
    translation: new Int32Array(await y.translation.data()),
    rotation: new Int32Array(await y.rotation.data()),
    gripper: new Int32Array(await y.gripper.data()),
    collision: new Int32Array(await y.collision.data()),
  };
  tf.dispose([...Object.values(x), ...Object.values(y)]);
  return out;
}


/** The benchmarks' backend: wasm, unless PERACT_BACKEND names another. */
export async function benchBackend(): Promise<BackendName> {
  return (await selectBackend(process.env.PERACT_BACKEND ? undefined : 'wasm')).name;
}
