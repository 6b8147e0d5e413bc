import * as tf from '@tensorflow/tfjs';
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
}

export interface LossTensors {
  total: tf.Scalar;
  translation: tf.Scalar;
  rotation: tf.Scalar;
  gripper: tf.Scalar;
  collision: tf.Scalar;
}

/** Mean over rows of -log softmax(logits)[label]. logits [N, K], labels [N] int32. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const k = logits.shape[1];
  const picked = tf.sum(tf.mul(tf.oneHot(labels, k), tf.logSoftmax(logits)), 1);
  return tf.neg(tf.mean(picked)) as tf.Scalar;
}

function checkTarget(field: string, t: tf.Tensor, shape: number[]): void {
  if (!(t instanceof tf.Tensor)) throw invalidArgument(field, 'must be a tf.Tensor');
  if (t.dtype !== 'int32') throw invalidArgument(field, `must be int32, got ${t.dtype}`);
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw invalidArgument(field, `must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}

/**
 * PerAct's loss: the sum of four cross-entropies (translation over all voxels; rotation x, y
 * and z summed; gripper; collision), each a mean over the batch.
 */
export function loss(output: NetworkOutput, targets: ActionTargets): LossTensors {
  const B = output.translation.shape[0];
  const bins = output.rotation.shape[2];
  checkTarget('targets.translation', targets.translation, [B]);
  checkTarget('targets.rotation', targets.rotation, [B, 3]);
  checkTarget('targets.gripper', targets.gripper, [B]);
  checkTarget('targets.collision', targets.collision, [B]);
  const translation = crossEntropy(output.translation, targets.translation as tf.Tensor1D);
  // [B, 3, bins] -> [B*3, bins]: one cross-entropy per axis, mean over B*3 rows times 3 = sum of axes.
  const rotation = tf.mul(
    crossEntropy(tf.reshape(output.rotation, [B * 3, bins]), tf.reshape(targets.rotation, [B * 3])),
    3,
  ) as tf.Scalar;
  const gripper = crossEntropy(output.gripper, targets.gripper as tf.Tensor1D);
  const collision = crossEntropy(output.collision, targets.collision as tf.Tensor1D);
  const total = tf.addN([translation, rotation, gripper, collision]) as tf.Scalar;
  return { total, translation, rotation, gripper, collision };
}
