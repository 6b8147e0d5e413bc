/**
 * The only tfjs-facing part of checkpoints: tf.Variables <-> plain tensors. Everything else in
 * this folder works on plain Float32Arrays.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '../../core/index.js';
import type { Optimizer } from '../network/index.js';
import { summarise } from './check.js';
import { formatShape, sameShape, type TensorMap } from './tensors.js';

/** Copies float32 tensors out by name (weights: `net.params`; optimizer moments: `optimizer.state`). */
export async function tensorsFromParams(params: ReadonlyMap<string, tf.Tensor>): Promise<TensorMap> {
  if (!(params instanceof Map)) throw invalidArgument('params', 'must be a Map of name -> tf.Tensor');
  const out: TensorMap = new Map();
  for (const [name, tensor] of params) {
    if (!(tensor instanceof tf.Tensor)) throw invalidArgument(`params['${name}']`, 'must be a tf.Tensor');
    if (tensor.dtype !== 'float32') throw invalidArgument(`params['${name}']`, `must be float32, got ${tensor.dtype}`);
    // data() rather than dataSync() so GPU backends can download without blocking.
    const data = (await tensor.data()) as Float32Array;
    out.set(name, { shape: [...tensor.shape], data: Float32Array.from(data) });
  }
  return out;
}

/**
 * Writes checkpoint tensors into existing variables. Names must match exactly and every shape
 * must agree; all of it is checked before the first variable changes, so a failed call leaves
 * the network as it was.
 */
export function assignParams(params: ReadonlyMap<string, tf.Variable>, tensors: TensorMap): void {
  if (!(params instanceof Map)) throw invalidArgument('params', 'must be a Map of name -> tf.Variable');
  if (!(tensors instanceof Map)) throw invalidArgument('tensors', 'must be a Map of name -> { shape, data }');
  const problems: string[] = [];
  for (const [name, variable] of params) {
    const t = tensors.get(name);
    if (!t) problems.push(`missing tensor '${name}'`);
    else if (!sameShape(t.shape, variable.shape)) problems.push(`tensor '${name}' has shape ${formatShape(t.shape)} != ${formatShape(variable.shape)} of the parameter`);
    else if (t.data.length !== variable.size) problems.push(`tensor '${name}' has ${t.data.length} values, expected ${variable.size}`);
  }
  for (const name of tensors.keys()) if (!params.has(name)) problems.push(`unexpected tensor '${name}' (no such parameter)`);
  if (problems.length > 0) throw invalidArgument('tensors', summarise(problems));
  for (const [name, variable] of params) {
    const t = tensors.get(name)!;
    const value = tf.tensor(t.data, t.shape, 'float32');
    variable.assign(value);
    value.dispose();
  }
}

/**
 * Replaces an optimizer's moments and step count with a checkpoint's, so training resumes
 * with the same bias correction and moments it stopped with.
 */
export function restoreOptimizerState(optimizer: Optimizer, tensors: TensorMap, step: number): void {
  if (!(tensors instanceof Map)) throw invalidArgument('tensors', 'must be a Map of name -> { shape, data }');
  if (!Number.isSafeInteger(step) || step < 0) throw invalidArgument('step', `must be an integer >= 0, got ${String(step)}`);
  for (const name of tensors.keys()) {
    if (!/\.(m|v)$/.test(name)) throw invalidArgument('tensors', `tensor '${name}' is not an optimizer moment ('<parameter>.m' / '.v')`);
  }
  optimizer.dispose();
  for (const [name, t] of tensors) {
    const value = tf.tensor(t.data, t.shape, 'float32');
    optimizer.state.set(name, tf.variable(value, false));
    value.dispose();
  }
  optimizer.step = step;
}
