/**
 * Network weights: plain tf.Variables in a Map under stable dotted names (`encoder.cross.wq`),
 * so a checkpoint writer can save and load them by name. The tf.Variable's own name is left
 * to tfjs (it must be unique per process; two networks may coexist).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../core/index.js';

export type ParamMap = Map<string, tf.Variable>;

export type Init = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

/** Creates variables from a seeded core Rng, so the same seed gives the same bits on any backend. */
export class ParamBuilder {
  readonly params: ParamMap = new Map();
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  add(name: string, shape: number[], init: Init): tf.Variable {
    if (this.params.has(name)) throw new Error(`parameter ${name} defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (init.kind === 'ones') values.fill(1);
    else if (init.kind === 'normal') {
      for (let i = 0; i < size; i++) values[i] = this.rng.normal(0, init.std);
    }
    const initial = tf.tensor(values, shape, 'float32');
    const variable = tf.variable(initial, true);
    initial.dispose(); // the variable holds its own reference to the data
    this.params.set(name, variable);
    return variable;
  }

  /** Weight [in, out] with LeCun-normal init, plus an optional zero bias. */
  linear(name: string, fanIn: number, fanOut: number, bias = true): void {
    this.add(`${name}.w`, [fanIn, fanOut], { kind: 'normal', std: 1 / Math.sqrt(fanIn) });
    if (bias) this.add(`${name}.b`, [fanOut], { kind: 'zeros' });
  }

  layerNorm(name: string, dim: number): void {
    this.add(`${name}.g`, [dim], { kind: 'ones' });
    this.add(`${name}.b`, [dim], { kind: 'zeros' });
  }
}

export function param(params: ParamMap, name: string): tf.Variable {
  const p = params.get(name);
  if (!p) throw new Error(`missing parameter ${name}`);
  return p;
}
