/**
 * Voxel grid <-> patch tokens as reshapes and rank-4 transposes. A single rank-6/8 transpose
 * would be simpler, but on wasm a rank-6 transpose of a batch-8 48^3x8 grid took 367 ms
 * against 28 ms for each of the two rank-4 transposes used here (measured), and rank-5
 * slices are as slow; everything here stays rank <= 4.
 *
 * Index x = X*p + a (likewise y = Y*p + b, z = Z*p + c). The grid [B, V, V, V, C] read in
 * memory order is [B, X, a, Y, b, Z, c, C]; tokens come out as [B*X*Y*Z, a*b*c*C].
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMul2d } from './ops.js';

/** features [B*V^3, C] in [x][y][z] order -> [B*P^3, p^3*C], token order [X][Y][Z]. */
export function patchify(features: tf.Tensor, batch: number, grid: number, patch: number, channels: number): tf.Tensor2D {
  const P = grid / patch;
  // [B*X, a, Y, b*Z*c*C] -> swap a, Y -> [B, X, Y, a, b, Z, c, C]
  const s1 = tf.transpose(tf.reshape(features, [batch * P, patch, P, patch * grid * channels]), [0, 2, 1, 3]);
  // [B*X*Y, a*b, Z, c*C] -> swap (a b), Z -> [B, X, Y, Z, a, b, c, C]
  const s2 = tf.transpose(tf.reshape(s1, [batch * P * P, patch * patch, P, patch * channels]), [0, 2, 1, 3]);
  return tf.reshape(s2, [batch * P * P * P, patch * patch * patch * channels]);
}

/** Inverse of patchify for one value per voxel: [B*P^3, p^3] -> [B, V^3] in [x][y][z] order. */
export function unpatchify(values: tf.Tensor, batch: number, grid: number, patch: number): tf.Tensor2D {
  const P = grid / patch;
  const s1 = tf.transpose(tf.reshape(values, [batch * P * P, P, patch * patch, patch]), [0, 2, 1, 3]);
  const s2 = tf.transpose(tf.reshape(s1, [batch * P, P, patch, patch * grid]), [0, 2, 1, 3]);
  return tf.reshape(s2, [batch, grid * grid * grid]);
}

/** Normalised cell coordinates in [-1, 1], [n^3, 3] in [x][y][z] order, for spatial softmax. */
export function gridCoordinates(n: number): tf.Tensor2D {
  const out = new Float32Array(n * n * n * 3);
  const scale = n > 1 ? 2 / (n - 1) : 0;
  let o = 0;
  for (let x = 0; x < n; x++) {
    for (let y = 0; y < n; y++) {
      for (let z = 0; z < n; z++) {
        out[o++] = x * scale - 1;
        out[o++] = y * scale - 1;
        out[o++] = z * scale - 1;
      }
    }
  }
  return tf.tensor2d(out, [n * n * n, 3]);
}

/**
 * Spatial softmax (expected coordinates per channel) and global max pool over cells.
 * features [B*cells, C], coordinates [cells, 3] -> [B, 4*C].
 */
export function spatialSoftmaxAndMax(features: tf.Tensor2D, batch: number, coordinates: tf.Tensor2D): tf.Tensor2D {
  const cells = coordinates.shape[0];
  const channels = features.shape[1];
  const perItem = tf.reshape(features, [batch, cells, channels]);
  const byChannel = tf.reshape(tf.transpose(perItem, [0, 2, 1]), [batch * channels, cells]) as tf.Tensor2D;
  const expected = matMul2d(tf.softmax(byChannel), coordinates); // [B*C, 3]
  const pooled = tf.max(perItem, 1);
  return tf.concat([tf.reshape(expected, [batch, channels * 3]), pooled], 1) as tf.Tensor2D;
}
