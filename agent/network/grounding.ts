/**
 * The language-grounding term (config.languageGrounding), an add-on to the Perceiver-Actor of
 * model.ts: every voxel gets a grounding score g, a quadratic form in its colour and occupancy
 * whose weights the goal's words choose, so "red" can score red voxels high without the
 * Perceiver first learning to bind a word to a colour through attention (docs/agent.md).
 *   g = <[rgb, occ, rgb^2, occ] of each voxel, sum of the goal's words' rows of a grounding table>
 *   translation += m0 g + m1 (sum of g over the voxel's vertical column)
 *   voxel tokens += max of g over the patch * a learned row
 * Its weights: grounding.words [vocab, 8], grounding.bias [8], grounding.token [1, D],
 * grounding.mix [2].
 */
import * as tf from '@tensorflow/tfjs-core';
import { CHANNEL } from '../../perception/index.js';
import { matMul2d } from './ops.js';
import { param, type ParamBuilder, type ParamMap } from './params.js';
import { patchify } from './patches.js';

/** Per-voxel features the grounding term weighs: mean rgb, occupancy, and their squares. */
export const GROUNDING_FEATURES = 8;

/**
 * The query is 10 x its table rows: a learning-rate multiplier in disguise. Adam moves each
 * weight by about lr a step whatever its gradient's scale; without the gain, 400 steps at lr
 * 1e-3 left reach_target at chance on the named sphere (README Results, runs/exp/H).
 */
const GROUNDING_QUERY_GAIN = 10;

/** The term's weights; `tokenDim` is the width of a voxel token. */
export function addGroundingParams(b: ParamBuilder, vocabSize: number, tokenDim: number): void {
  // Zero: the term starts silent instead of adding random logits of several nats (measured:
  // a tiny network's first loss 12.6 against 6.4 without it); its gradient is not zero.
  b.add('grounding.words', [vocabSize, GROUNDING_FEATURES], { kind: 'zeros' });
  b.add('grounding.bias', [GROUNDING_FEATURES], { kind: 'zeros' });
  b.add('grounding.token', [1, tokenDim], { kind: 'normal', std: 0.02 });
  b.add('grounding.mix', [2], { kind: 'ones' });
}

/** [inputChannels, 4] picking the rgb and occupancy channels (a matMul, the fast op on wasm). */
export function groundingSelection(inputChannels: number): tf.Tensor2D {
  const m = new Float32Array(inputChannels * 4);
  const picks = [CHANNEL.meanRgb, CHANNEL.meanRgb + 1, CHANNEL.meanRgb + 2, CHANNEL.occupancy];
  picks.forEach((channel, j) => {
    if (channel < inputChannels) m[channel * 4 + j] = 1;
  });
  return tf.tensor2d(m, [inputChannels, 4]);
}

/**
 * The grounding score of every voxel, [B, V^3]. `flatVoxels` is [B * V^3, channels],
 * `oneHotWords` [B * L, vocab] the goal's token ids one-hot, `ids` [B * L] the ids themselves
 * (0 is padding), `select` the groundingSelection matrix. Each word has its own row of weights,
 * summed over the goal (not averaged, so a goal's length does not scale them). A Linear of the
 * summed word embeddings learned too slowly: every colour pulled the shared weights its own way
 * (README Results, grounding v1).
 */
export function groundingScores(params: ParamMap, select: tf.Tensor2D, flatVoxels: tf.Tensor2D, oneHotWords: tf.Tensor2D, ids: tf.Tensor1D, batch: number, languageLength: number): tf.Tensor2D {
  const L = languageLength;
  const voxels = flatVoxels.shape[0] / batch;
  const half = GROUNDING_FEATURES / 2;
  // Two batched matMuls instead of one over concatenated features: on wasm the concat of the
  // [B*V^3, 4] halves alone cost ~80 ms at batch 8, and mul + sum with its gradient 87 ms
  // against 26 ms for a batched matMul (measured, scratch profile of this function).
  const picked = tf.reshape(tf.matMul(flatVoxels, select), [batch, voxels, half]);
  const squared = tf.square(picked);
  const notPad = tf.reshape(tf.cast(tf.greater(ids, 0), 'float32'), [batch, L, 1]);
  const rows = matMul2d(oneHotWords, param(params, 'grounding.words') as tf.Tensor2D);
  const words = tf.sum(tf.mul(tf.reshape(rows, [batch, L, GROUNDING_FEATURES]), notPad), 1);
  const query = tf.mul(tf.add(words, param(params, 'grounding.bias')), GROUNDING_QUERY_GAIN) as tf.Tensor2D;
  const linearPart = tf.matMul(picked, tf.reshape(tf.slice(query, [0, 0], [batch, half]), [batch, half, 1]));
  const squarePart = tf.matMul(squared, tf.reshape(tf.slice(query, [0, half], [batch, half]), [batch, half, 1]));
  return tf.reshape(tf.add(linearPart, squarePart), [batch, voxels]) as tf.Tensor2D;
}

/**
 * The voxel tokens [B, T, D] with the grounding of their patch added: the highest score in the
 * patch times the learned row grounding.token, so the Perceiver sees where the goal points.
 */
export function groundTokens(params: ParamMap, tokens: tf.Tensor, grounding: tf.Tensor2D, batch: number, grid: number, patchSize: number): tf.Tensor {
  const [, T, D] = tokens.shape as [number, number, number];
  const perPatch = tf.max(patchify(grounding, batch, grid, patchSize, 1), 1, true) as tf.Tensor2D; // [B*T, 1]
  return tf.add(tokens, tf.reshape(matMul2d(perPatch, param(params, 'grounding.token') as tf.Tensor2D), [batch, T, D]));
}

/**
 * Adds the grounding score of each voxel and the summed score of its vertical column (z is the
 * fastest axis of [x][y][z]) to the translation logits [B, V^3]. The column term is a top-down
 * view (RVT renders one): most tabletop targets sit above, on or in the named object (an
 * approach pose 12 cm over a block, a sphere's empty centre, a place pose over a bowl), where
 * the voxel itself is empty and g is 0.
 */
export function groundedLogits(params: ParamMap, logits: tf.Tensor2D, grounding: tf.Tensor2D, batch: number, grid: number): tf.Tensor2D {
  const V = grid;
  const mix = param(params, 'grounding.mix');
  // A sum, not a max: empty voxels score exactly 0, so once the named colour scored below 0 a
  // max would pick an empty voxel and pass no gradient to the query (measured: a tiny network
  // then never learned which column the goal named).
  const columns = tf.sum(tf.reshape(grounding, [batch, V * V, V]), 2, true);
  const voxelTerm = tf.mul(tf.reshape(grounding, [batch, V * V, V]), tf.slice(mix, [0], [1]));
  const columnTerm = tf.mul(columns, tf.slice(mix, [1], [1]));
  return tf.reshape(tf.add(tf.add(tf.reshape(logits, [batch, V * V, V]), voxelTerm), columnTerm), [batch, V ** 3]) as tf.Tensor2D;
}
