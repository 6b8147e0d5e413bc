import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '../../core/index.js';
import type { NetworkOutput } from './model.js';

/** Discrete action targets for a batch (int32). */
export interface ActionTargets {
  /** [B] flattened voxel index x*V*V + y*V + z. */
  translation: tf.Tensor;
  /** [B, 3] rotation bin per Euler axis. */
  rotation: tf.Tensor;
  /** [B] 0 closed / 1 open. */
  gripper: tf.Tensor;
  /** [B] 0 / 1 ignore-collisions bit. */
  collision: tf.Tensor;
  /**
   * [B] float32 weight of each item in the rotation, gripper and collision losses (a weighted
   * mean); default 1. The coarse level of a coarse-to-fine batch has 0: those come from the fine level.
   */
  headWeight?: tf.Tensor;
}

export interface LossTensors {
  total: tf.Scalar;
  translation: tf.Scalar;
  rotation: tf.Scalar;
  gripper: tf.Scalar;
  collision: tf.Scalar;
}

/**
 * Mean over rows of -log softmax(logits)[label]. logits [N, K], labels [N] int32; with `weights`
 * [N] the weighted mean.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  const k = logits.shape[1];
  const picked = tf.sum(tf.mul(tf.oneHot(labels, k), tf.logSoftmax(logits)), 1);
  return tf.neg(rowMean(picked, weights)) as tf.Scalar;
}

function rowMean(rows: tf.Tensor, weights: tf.Tensor1D | undefined): tf.Scalar {
  if (!weights) return tf.mean(rows) as tf.Scalar;
  return tf.div(tf.sum(tf.mul(rows, weights)), tf.maximum(tf.sum(weights), 1e-9)) as tf.Scalar;
}

function checkTarget(field: string, t: tf.Tensor, shape: number[]): void {
  if (!(t instanceof tf.Tensor)) throw invalidArgument(field, 'must be a tf.Tensor');
  if (t.dtype !== 'int32') throw invalidArgument(field, `must be int32, got ${t.dtype}`);
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw invalidArgument(field, `must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}

export interface LossOptions {
  /**
   * Spread of the translation target in voxels: 0 is PerAct's one-hot voxel; s > 0 spreads the
   * target over a Gaussian of standard deviation s voxels around it, so a prediction one voxel
   * off is penalised less than one across the table (the trained argmax still aims at the centre).
   */
  translationSigmaVoxels?: number;
  /**
   * The same for each rotation axis, in bins, wrapping around the circle (0 = one-hot): a
   * yaw one 5-degree bin off grasps as well as the demonstrated one.
   */
  rotationSigmaBins?: number;
}

/**
 * [N, bins] rows of a normalised Gaussian of `sigma` bins around each label; with `wrap` the
 * distance goes around the circle (rotation bins), without it stops at the ends (voxel axes).
 */
function gaussianRows(labels: tf.Tensor, bins: number, sigma: number, wrap: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const N = labels.shape[0] as number;
    const axis = tf.reshape(tf.range(0, bins, 1, 'float32'), [1, bins]);
    const d = tf.abs(tf.sub(axis, tf.reshape(tf.cast(labels, 'float32'), [N, 1])));
    const distance = wrap ? tf.minimum(d, tf.sub(bins, d)) : d;
    const g = tf.exp(tf.div(tf.neg(tf.square(distance)), 2 * sigma * sigma));
    return tf.div(g, tf.sum(g, 1, true));
  });
}

/** Soft circular targets [N, bins]: a normalised Gaussian (in bins, wrapped) around each label. */
export function circularGaussianTargets(labels: tf.Tensor1D, bins: number, sigmaBins: number): tf.Tensor2D {
  return gaussianRows(labels, bins, sigmaBins, true);
}

/** Mean (weighted mean with `weights`) over rows of -sum(target * log softmax(logits)). */
function softCrossEntropy(logits: tf.Tensor2D, soft: tf.Tensor2D, weights?: tf.Tensor1D): tf.Scalar {
  return tf.neg(rowMean(tf.sum(tf.mul(soft, tf.logSoftmax(logits)), 1), weights)) as tf.Scalar;
}

/**
 * Soft translation targets [B, V^3]: a normalised Gaussian around each target voxel. It factors
 * into one 1-D Gaussian per axis, so it is built as the outer product of three [B, V] vectors.
 */
export function gaussianTargets(flat: tf.Tensor1D, grid: number, sigmaVoxels: number): tf.Tensor2D {
  return tf.tidy(() => {
    const B = flat.shape[0];
    const V = grid;
    const x = tf.floorDiv(flat, V * V);
    const y = tf.floorDiv(tf.mod(flat, V * V), V);
    const z = tf.mod(flat, V);
    const profile = (c: tf.Tensor): tf.Tensor2D => gaussianRows(c, V, sigmaVoxels, false);
    const gx = tf.reshape(profile(x), [B, V, 1]);
    const gy = tf.reshape(profile(y), [B, 1, V]);
    const gxy = tf.reshape(tf.mul(gx, gy), [B, V * V, 1]);
    return tf.reshape(tf.mul(gxy, tf.reshape(profile(z), [B, 1, V])), [B, V * V * V]);
  });
}

/**
 * PerAct's loss: the sum of four cross-entropies (translation over all voxels; rotation x, y
 * and z summed; gripper; collision), each a mean over the batch.
 */
export function loss(output: NetworkOutput, targets: ActionTargets, options: LossOptions = {}): LossTensors {
  const B = output.translation.shape[0];
  const bins = output.rotation.shape[2];
  checkTarget('targets.translation', targets.translation, [B]);
  checkTarget('targets.rotation', targets.rotation, [B, 3]);
  checkTarget('targets.gripper', targets.gripper, [B]);
  checkTarget('targets.collision', targets.collision, [B]);
  const w = targets.headWeight as tf.Tensor1D | undefined;
  if (w !== undefined && (!(w instanceof tf.Tensor) || w.dtype !== 'float32' || w.rank !== 1 || w.shape[0] !== B)) {
    throw invalidArgument('targets.headWeight', `must be a float32 tf.Tensor of shape [${B}]`);
  }
  // Per axis the same item weight: [B] -> [B*3] in the rotation rows' order.
  const w3 = w ? (tf.reshape(tf.tile(tf.reshape(w, [B, 1]), [1, 3]), [B * 3]) as tf.Tensor1D) : undefined;
  const sigma = options.translationSigmaVoxels ?? 0;
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw invalidArgument('translationSigmaVoxels', `must be a number >= 0, got ${sigma}`);
  const rotationSigma = options.rotationSigmaBins ?? 0;
  if (!(rotationSigma >= 0 && Number.isFinite(rotationSigma))) throw invalidArgument('rotationSigmaBins', `must be a number >= 0, got ${rotationSigma}`);
  const grid = Math.round(Math.cbrt(output.translation.shape[1]));
  const translation =
    sigma > 0
      ? softCrossEntropy(output.translation, gaussianTargets(targets.translation as tf.Tensor1D, grid, sigma))
      : crossEntropy(output.translation, targets.translation as tf.Tensor1D);
  // [B, 3, bins] -> [B*3, bins]: one cross-entropy per axis, mean over B*3 rows times 3 = sum of axes.
  const rotationLogits = tf.reshape(output.rotation, [B * 3, bins]) as tf.Tensor2D;
  const rotationLabels = tf.reshape(targets.rotation, [B * 3]) as tf.Tensor1D;
  const rotation = tf.mul(
    rotationSigma > 0 ? softCrossEntropy(rotationLogits, circularGaussianTargets(rotationLabels, bins, rotationSigma), w3) : crossEntropy(rotationLogits, rotationLabels, w3),
    3,
  ) as tf.Scalar;
  const gripper = crossEntropy(output.gripper, targets.gripper as tf.Tensor1D, w);
  const collision = crossEntropy(output.collision, targets.collision as tf.Tensor1D, w);
  const total = tf.addN([translation, rotation, gripper, collision]) as tf.Scalar;
  return { total, translation, rotation, gripper, collision };
}
