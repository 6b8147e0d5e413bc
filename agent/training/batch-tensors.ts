import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '../../core/index.js';
import { PROPRIO_DIM, type BatchArrays } from '../encoding/samples.js';
import type { AgentSpec } from '../encoding/spec.js';

/** A batch of n samples as the network's input and target tensors (the caller disposes them). */
export function toTensors(batch: BatchArrays, spec: AgentSpec, n: number) {
  const v = spec.gridSize;
  return {
    input: {
      voxels: tf.tensor(batch.voxels, [n, v, v, v, batch.voxels.length / (n * v ** 3)]),
      surfaceHeights: tf.tensor(batch.surfaceHeights, [n, v ** 3], 'int32'),
      proprio: tf.tensor(batch.proprio, [n, PROPRIO_DIM]),
      language: tf.tensor(batch.language, [n, batch.language.length / n], 'int32'),
      level: tf.tensor(batch.level, [n], 'int32'),
    },
    targets: {
      translation: tf.tensor(batch.translation, [n], 'int32'),
      rotation: tf.tensor(batch.rotation, [n, 3], 'int32'),
      gripper: tf.tensor(batch.gripper, [n], 'int32'),
      collision: tf.tensor(batch.collision, [n], 'int32'),
      headWeight: tf.tensor(batch.headWeight, [n], 'float32'),
    },
  };
}

/** Samples [from, to) of a batch, as views (no copy). */
export function sliceBatch(batch: BatchArrays, from: number, to: number): BatchArrays {
  const n = batch.translation.length;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= n)) {
    throw invalidArgument('range', `must be 0 <= from < to <= ${n}, got [${from}, ${to})`);
  }
  const part = <T extends Float32Array | Int32Array>(a: T): T => {
    const per = a.length / n;
    return a.subarray(from * per, to * per) as T;
  };
  return {
    voxels: part(batch.voxels),
    surfaceHeights: part(batch.surfaceHeights),
    proprio: part(batch.proprio),
    language: part(batch.language),
    level: part(batch.level),
    headWeight: part(batch.headWeight),
    translation: part(batch.translation),
    rotation: part(batch.rotation),
    gripper: part(batch.gripper),
    collision: part(batch.collision),
  };
}
