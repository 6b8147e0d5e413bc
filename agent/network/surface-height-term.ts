/**
 * The surface-height term (config.surfaceHeight), an add-on to the Perceiver-Actor of model.ts:
 * h = each voxel's height in voxels above the nearest occupied voxel below it, a class
 * 0..SURFACE_HEIGHT_MAX + 1 (perception/surface-height.ts computes the same classes in
 * JavaScript for the encoder); translation += Linear(head features)[h]. Most keyframes sit at a
 * task-typical height over what they act on, which the network would otherwise have to read
 * off raw voxels. Its weights: decoder.height.w [headInputDim, classes], decoder.height.b.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CHANNEL } from '../../perception/index.js';
import { linear } from './ops.js';
import { param, type ParamBuilder, type ParamMap } from './params.js';

/** Heights above a surface told apart, in voxels; higher ones and none share the last class. */
export const SURFACE_HEIGHT_MAX = 12;
/** Class 0: the voxel is occupied; 1..MAX: that many voxels above the surface; MAX + 1: higher or none. */
export const SURFACE_HEIGHT_CLASSES = SURFACE_HEIGHT_MAX + 2;

/** The term's weights; `headInputDim` is the width of the head's pooled features. */
export function addSurfaceHeightParams(b: ParamBuilder, headInputDim: number): void {
  // Zero, like the grounding table: the term starts silent; the gradient of its weights is not.
  b.add('decoder.height.w', [headInputDim, SURFACE_HEIGHT_CLASSES], { kind: 'zeros' });
  b.add('decoder.height.b', [SURFACE_HEIGHT_CLASSES], { kind: 'zeros' });
}

/**
 * The surface-height class of every voxel, [B * V^3] int32 in [x][y][z] order, from occupancy
 * alone (no gradient). A running max of `(flat index + 1) * occupied` over the 15 voxels below
 * (4 doublings) gives the nearest occupied voxel below, so the height is `index + 1 - max`; one
 * found in the column before (the flat array runs on) is higher than z and means none. Flat,
 * not per column: a slice along the fastest axis is strided and cost 70 ms at batch 8 on wasm,
 * the flat one 2 ms; max(a, b) as a + relu(b - a) because wasm's Maximum took 11 ms, the three
 * ops 6 (measured, scratch profile).
 */
export function surfaceHeightClasses(flatVoxels: tf.Tensor2D, batch: number, grid: number): tf.Tensor1D {
  return tf.tidy(() => {
    const n = batch * grid ** 3;
    const select = tf.tensor2d(Array.from({ length: flatVoxels.shape[1] }, (_, c) => (c === CHANNEL.occupancy ? 1 : 0)), [flatVoxels.shape[1], 1]);
    const indexPlusOne = tf.range(1, n + 1, 1, 'float32');
    let top = tf.mul(tf.reshape(tf.matMul(flatVoxels, select), [n]), indexPlusOne);
    for (let shift = 1; shift < 16 && shift < grid; shift *= 2) {
      const below = tf.pad(tf.slice(top, [0], [n - shift]), [[shift, 0]]);
      top = tf.add(top, tf.relu(tf.sub(below, top)));
    }
    const height = tf.sub(indexPlusOne, top);
    const z = tf.mod(tf.range(0, n, 1, 'float32'), grid);
    const none = tf.mul(tf.cast(tf.greater(height, z), 'float32'), SURFACE_HEIGHT_CLASSES);
    return tf.cast(tf.minimum(tf.add(height, none), SURFACE_HEIGHT_MAX + 1), 'int32') as tf.Tensor1D;
  });
}

/**
 * Translation logits from the surface-height classes, [B, V^3]: each item weighs the classes by
 * a Linear of the head's pooled features (the phase of the task decides the height: an
 * approach well over a block, a grasp just above the table, a place just above a block); the
 * other terms choose the column. A table
 * lookup (gather) with a custom gradient. On wasm/cpu the gradient is a scatterND (it sums
 * duplicates): wasm has no gradient for gather, and a one-hot matMul cost 110 ms at batch 8
 * against ~45 ms. On webgpu the scatterND's atomic adds into 14 slots an item took 5.5 s of a
 * 9.1 s training step at batch 16 on an H100 (`bench/gpu.ts --ablation`), so there the gradient
 * is the one-hot matMul.
 */
export function surfaceHeightLogits(params: ParamMap, heights: tf.Tensor, features: tf.Tensor2D, batch: number, grid: number): tf.Tensor2D {
  const K = SURFACE_HEIGHT_CLASSES;
  const voxels = grid ** 3;
  const classes = tf.reshape(heights, [batch, voxels]);
  const method = tf.getBackend() === 'webgpu' ? 'one-hot' : 'scatter';
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[1] as tf.GradSaveFunc)([classes]);
    const table = args[0] as tf.Tensor;
    return {
      value: tf.tidy(() => tf.reshape(tf.gather(tf.reshape(table, [batch * K]), tableRows(classes as tf.Tensor2D)), [batch, voxels])),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => surfaceHeightTableGradient(dy as tf.Tensor2D, saved[0] as tf.Tensor2D, method),
    };
  });
  const logits = lookup(linear(features, param(params, 'decoder.height.w'), param(params, 'decoder.height.b'))) as tf.Tensor2D;
  classes.dispose();
  return logits;
}

/** Row b * K + class of the flattened [B * K] table, for every voxel: [B * V^3] int32. */
function tableRows(classes: tf.Tensor2D): tf.Tensor1D {
  const [batch, voxels] = classes.shape;
  const offsets = tf.tensor2d(Array.from({ length: batch }, (_, b) => b * SURFACE_HEIGHT_CLASSES), [batch, 1], 'int32');
  return tf.reshape(tf.add(classes, offsets), [batch * voxels]);
}

/**
 * The surface-height table's gradient, [B, K]: every voxel's upstream gradient `dy` [B, V^3]
 * summed into its class's slot (`classes` [B, V^3] int32), by scatterND or by a one-hot matMul
 * (which is faster where, surfaceHeightLogits says). Exported for the test that pins the two equal.
 */
export function surfaceHeightTableGradient(dy: tf.Tensor2D, classes: tf.Tensor2D, method: 'scatter' | 'one-hot'): tf.Tensor2D {
  const K = SURFACE_HEIGHT_CLASSES;
  const [batch, voxels] = classes.shape;
  return tf.tidy(() =>
    method === 'one-hot'
      ? tf.reshape(tf.matMul(tf.reshape(dy, [batch, 1, voxels]), tf.oneHot(classes, K)), [batch, K])
      : tf.reshape(tf.scatterND(tf.reshape(tableRows(classes), [batch * voxels, 1]), tf.reshape(dy, [batch * voxels]), [batch * K]), [batch, K]),
  );
}
