/**
 * Multi-head attention in the form the wasm backend runs fast (docs/design.md): one untransposed
 * 2-D matMul per (batch item, head); keys are transposed once per call with an explicit
 * tf.transpose. Batched (rank-3) and transposed tf.matMul fall to a slow loop on wasm, and
 * so do their gradients. Measured (wasm, batch 8, 128 tokens, 4 heads of 32): forward 38 ms
 * per-head vs 37 ms batched with explicit transposes; forward + gradients 86 ms vs 165 ms.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dropout, linear, matMul2d } from './ops.js';

export interface AttentionWeights {
  /** [Dq, heads*headDim] */
  wq: tf.Tensor;
  /** [Dkv, heads*headDim] */
  wk: tf.Tensor;
  /** [Dkv, heads*headDim] */
  wv: tf.Tensor;
  /** [heads*headDim, Dout] */
  wo: tf.Tensor;
  /** [Dout] */
  bo: tf.Tensor;
}

export interface AttentionShape {
  batch: number;
  queriesPerItem: number;
  keysPerItem: number;
  heads: number;
  headDim: number;
  /** The queries [queriesPerItem, Dq] are the same for every batch item (learned latents). */
  sharedQueries?: boolean;
  dropoutRate?: number;
  /** Draws dropout seeds; required when dropoutRate > 0. */
  nextSeed?: () => number;
}

/**
 * queries [(sharedQueries ? 1 : batch) * Nq, Dq], context [batch * Nk, Dkv]
 * -> [batch * Nq, Dout]: softmax(q k^T / sqrt(headDim)) v per head, heads concatenated, out-projected.
 */
export function attention(
  queries: tf.Tensor2D,
  context: tf.Tensor2D,
  w: AttentionWeights,
  shape: AttentionShape,
): tf.Tensor2D {
  // A tidy per call frees the per-head score matrices at once in inference (the paper preset's
  // 6 layers x 8 heads x 2048^2 scores would otherwise stay alive until the end of forward).
  return tf.tidy(() => attentionUntidied(queries, context, w, shape));
}

function attentionUntidied(queries: tf.Tensor2D, context: tf.Tensor2D, w: AttentionWeights, shape: AttentionShape): tf.Tensor2D {
  const { batch, queriesPerItem: nq, keysPerItem: nk, heads, headDim } = shape;
  const inner = heads * headDim;
  const rate = shape.dropoutRate ?? 0;
  // Scaling q (n x d) is cheaper than scaling the scores (n x m).
  const q = tf.mul(matMul2d(queries, w.wq as tf.Tensor2D), 1 / Math.sqrt(headDim)) as tf.Tensor2D;
  const k = matMul2d(context, w.wk as tf.Tensor2D);
  const v = matMul2d(context, w.wv as tf.Tensor2D);
  // One transpose + unstack per operand gives contiguous per-head blocks; slicing a column
  // block out of [B*N, H*dh] per head cost 0.52 ms against 0.17 ms for a row block (measured),
  // and 32 head slices took 17 ms against 6 ms for transpose + unstack.
  const qs = splitHeads(q, shape.sharedQueries ? 1 : batch, nq, heads, headDim, false);
  const kTs = splitHeads(k, batch, nk, heads, headDim, true);
  const vs = splitHeads(v, batch, nk, heads, headDim, false);
  const outs: tf.Tensor2D[] = [];
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const qh = qs[shape.sharedQueries ? h : b * heads + h];
      let weights = tf.softmax(matMul2d(qh, kTs[b * heads + h]));
      if (rate > 0) weights = dropout(weights, rate, shape.nextSeed ? shape.nextSeed() : 0);
      outs.push(matMul2d(weights, vs[b * heads + h]));
    }
  }
  // [B*H, Nq, dh] -> [B*Nq, H*dh]
  let merged: tf.Tensor2D;
  if (outs.length === 1) merged = outs[0];
  else if (heads === 1) merged = tf.concat(outs, 0);
  else {
    const stacked = tf.reshape(tf.stack(outs), [batch, heads, nq, headDim]);
    merged = tf.reshape(tf.transpose(stacked, [0, 2, 1, 3]), [batch * nq, inner]);
  }
  return linear(merged, w.wo, w.bo);
}

/**
 * x [items*n, heads*headDim] -> items*heads matrices [n, headDim] (item-major), or their
 * transposes [headDim, n] when `transposed`.
 */
function splitHeads(x: tf.Tensor2D, items: number, n: number, heads: number, headDim: number, transposed: boolean): tf.Tensor2D[] {
  let perHead: tf.Tensor3D;
  if (transposed) {
    // [items, n, H*dh] -> [items, H*dh, n] -> [items*H, dh, n]
    perHead = tf.reshape(tf.transpose(tf.reshape(x, [items, n, heads * headDim]), [0, 2, 1]), [items * heads, headDim, n]);
  } else if (heads === 1) {
    perHead = tf.reshape(x, [items, n, headDim]);
  } else {
    perHead = tf.reshape(tf.transpose(tf.reshape(x, [items, n, heads, headDim]), [0, 2, 1, 3]), [items * heads, n, headDim]);
  }
  if (items * heads === 1) return [tf.reshape(perHead, transposed ? [headDim, n] : [n, headDim])];
  return tf.unstack(perHead) as tf.Tensor2D[];
}
