import * as tf from '@tensorflow/tfjs-core';
import { loss, type ActionTargets, type LossOptions } from './loss.js';
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

export interface StepOptions {
  loss?: LossOptions;
  /** This step's learning rate (a schedule's value); default the optimizer's own. */
  learningRate?: number;
}

/**
 * Forward with dropout, the four cross-entropies and the gradient of every parameter
 * (tf.variableGrads). The gradients are new tensors by parameter name: the caller disposes them.
 */
export async function computeGradients(net: PeractNetwork, batch: TrainingBatch, lossOptions?: LossOptions): Promise<{ grads: Map<string, tf.Tensor>; losses: LossValues }> {
  const names = [...net.params.keys()];
  const vars = names.map((n) => net.params.get(n) as tf.Variable);
  let parts: tf.Tensor1D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    // The local head reads the demonstrated voxel's patch in training (teacher forcing).
    const input = net.config.localHead ? { ...batch.input, headVoxel: batch.targets.translation } : batch.input;
    const l = loss(forward(net, input, { training: true }), batch.targets, lossOptions);
    parts = tf.keep(tf.stack([l.total, l.translation, l.rotation, l.gripper, l.collision]) as tf.Tensor1D);
    return l.total;
  }, vars);
  value.dispose();
  const byName = new Map<string, tf.Tensor>();
  names.forEach((n, i) => {
    const g = grads[vars[i].name];
    if (g) byName.set(n, g);
  });
  // data(), not dataSync(): webgpu cannot read back synchronously in Node (it needs an OffscreenCanvas).
  const [total, translation, rotation, gripper, collision] = await (parts as tf.Tensor1D).data();
  parts?.dispose();
  return { grads: byName, losses: { total, translation, rotation, gripper, collision } };
}

/**
 * One behaviour-cloning step: computeGradients, then one optimizer update. Returns the losses
 * before the update.
 */
export async function trainStep(net: PeractNetwork, optimizer: Optimizer, batch: TrainingBatch, options: StepOptions = {}): Promise<LossValues> {
  const { grads, losses } = await computeGradients(net, batch, options.loss);
  try {
    optimizer.apply(net.params, grads, options.learningRate);
  } finally {
    tf.dispose([...grads.values()]);
  }
  return losses;
}
