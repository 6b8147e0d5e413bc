/**
 * LAMB (You et al. 2020), PerAct's optimizer, and Adam(W) as the alternative. State (the
 * moments) lives in tf.Variables under the parameter's name + `.m` / `.v`, so a checkpoint
 * can save it next to the weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertFiniteNumber, invalidArgument } from '../../core/index.js';
import type { ParamMap } from './params.js';

export interface OptimizerConfig {
  kind: 'lamb' | 'adam';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay (added to the update, as in LAMB and AdamW). */
  weightDecay: number;
}

export const DEFAULT_OPTIMIZER: Readonly<OptimizerConfig> = {
  kind: 'lamb',
  learningRate: 5e-4,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-6,
  weightDecay: 1e-6,
};

/** LAMB's ||w|| is clamped to this, as in the reference implementation (pytorch-lamb). */
const MAX_WEIGHT_NORM = 10;

export class Optimizer {
  readonly config: OptimizerConfig;
  /** Steps applied so far (for bias correction). */
  step = 0;
  readonly state: ParamMap = new Map();

  constructor(config: Partial<OptimizerConfig> = {}) {
    const c = { ...DEFAULT_OPTIMIZER, ...config };
    if (c.kind !== 'lamb' && c.kind !== 'adam') throw invalidArgument('optimizer.kind', `must be lamb or adam, got ${String(c.kind)}`);
    for (const f of ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'] as const) {
      assertFiniteNumber(c[f], `optimizer.${f}`);
      if (c[f] < 0) throw invalidArgument(`optimizer.${f}`, `must be >= 0, got ${c[f]}`);
    }
    if (c.beta1 >= 1 || c.beta2 >= 1) throw invalidArgument('optimizer.beta', 'beta1 and beta2 must be < 1');
    this.config = c;
  }

  private moment(name: string, like: tf.Variable): tf.Variable {
    let m = this.state.get(name);
    if (!m) {
      m = tf.variable(tf.zerosLike(like), false);
      this.state.set(name, m);
    }
    return m;
  }

  /**
   * Applies one update. `grads` by parameter name; parameters without a gradient are left alone.
   * `learningRate` overrides the configured rate for this step (schedules).
   */
  apply(params: ParamMap, grads: Map<string, tf.Tensor>, learningRate = this.config.learningRate): void {
    if (!(learningRate >= 0 && Number.isFinite(learningRate))) throw invalidArgument('learningRate', `must be a number >= 0, got ${learningRate}`);
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay, kind } = this.config;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, w] of params) {
        const g = grads.get(name);
        if (!g) continue;
        const m = this.moment(`${name}.m`, w);
        const v = this.moment(`${name}.v`, w);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const mHat = tf.div(m, correction1);
        const vHat = tf.div(v, correction2);
        let update = tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon));
        if (weightDecay > 0) update = tf.add(update, tf.mul(w, weightDecay));
        let scaled: tf.Tensor;
        if (kind === 'lamb') {
          // Layer-wise trust ratio ||w|| / ||update||, 1 where either norm is 0.
          const wNorm = tf.clipByValue(tf.norm(w), 0, MAX_WEIGHT_NORM);
          const uNorm = tf.norm(update);
          const ok = tf.logicalAnd(tf.greater(wNorm, 0), tf.greater(uNorm, 0));
          const ratio = tf.where(ok, tf.div(wNorm, tf.maximum(uNorm, 1e-30)), tf.onesLike(wNorm));
          scaled = tf.mul(update, tf.mul(ratio, learningRate));
        } else {
          scaled = tf.mul(update, learningRate);
        }
        w.assign(tf.sub(w, scaled));
      }
    });
  }

  dispose(): void {
    for (const v of this.state.values()) v.dispose();
    this.state.clear();
  }
}
