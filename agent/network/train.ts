import * as tf from '@tensorflow/tfjs';
import { loss, type ActionTargets } from './loss.js';
import { forward, type NetworkInput, type PeractNetwork } from './model.js';
import type { Optimizer } from './optimizer.js';

export interface TrainingBatch {
  input: NetworkInput;
  targets: ActionTargets;
}

export interface LossValues {
  total: number;
  translation: number;
  rotation: number;
  gripper: number;
  collision: number;
}

/**
 * One behaviour-cloning step: forward with dropout, the four cross-entropies, gradients of
 * every parameter (tf.variableGrads), one optimizer update. Returns the losses before the update.
 * Reads the losses back with one dataSync.
 */
export function trainStep(net: PeractNetwork, optimizer: Optimizer, batch: TrainingBatch): LossValues {
  const names = [...net.params.keys()];
  const vars = names.map((n) => net.params.get(n) as tf.Variable);
  const values = tf.tidy(() => {
    let parts: tf.Tensor1D | undefined;
    const { grads } = tf.variableGrads(() => {
      const l = loss(forward(net, batch.input, { training: true }), batch.targets);
      parts = tf.keep(tf.stack([l.total, l.translation, l.rotation, l.gripper, l.collision]) as tf.Tensor1D);
      return l.total;
    }, vars);
    const byName = new Map<string, tf.Tensor>();
    names.forEach((n, i) => {
      const g = grads[vars[i].name];
      if (g) byName.set(n, g);
    });
    optimizer.apply(net.params, byName);
    return parts as tf.Tensor1D;
  });
  const [total, translation, rotation, gripper, collision] = values.dataSync();
  values.dispose();
  return { total, translation, rotation, gripper, collision };
}
