/**
 * The Perceiver-Actor network (docs/design.md, PerAct facts; config.ts for the presets and where
 * this differs from the paper). Layout of one forward pass, B items, V^3 voxels, patch p,
 * T = (V/p)^3 voxel tokens, L language tokens, N latents:
 *   voxels -> 1x1x1 conv (matMul; or raw channels) -> d0 [B*V^3, C0] -> patchify (matMul) -> [B*T, Dv]
 *   ++ proprio Linear tiled -> tokens [B, T, D]; language ids -> embeddings -> Linear [B, L, D]
 *   seq = [language; tokens] + positional embedding
 *   latents <- cross-attention(latents, seq) + GEGLU FF; k x (self-attention + GEGLU FF)
 *   u = cross-attention(voxel tokens of seq, latents) + those tokens        [B*T, D]
 *   translation = unpatchify(Linear(u) -> p^3 logits + per-axis Linear(u) -> 3p summed over (a, b, c)
 *                            + <d0 of each voxel, Linear(u) -> C0>)
 *   head = MLP(spatial softmax + max pool of the voxel tokens and of u) -> rotation, gripper, collision.
 * Two add-on terms, each off unless its config flag is set, live in files of their own:
 *   grounding.ts (languageGrounding): a per-voxel score the goal's words choose, added to the
 *   voxel tokens and the translation logits;
 *   surface-height-term.ts (surfaceHeight): translation += Linear(head features)[height class].
 * All matMuls are 2-D (ops.ts), all tensors rank <= 4 except the 5-D input's reshape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PeractError, Rng, assertPositiveInteger, invalidArgument } from '../../core/index.js';
import { attention, type AttentionWeights } from './attention.js';
import { derivedSizes, validateConfig, type NetworkConfig } from './config.js';
import { dropout, geglu, layerNorm, leakyRelu, linear, linearConstantInput, matMul2d } from './ops.js';
import { ParamBuilder, param, type ParamMap } from './params.js';
import { gridCoordinates, patchify, spatialSoftmaxAndMax, unpatchify } from './patches.js';
import { addGroundingParams, groundedLogits, groundingScores, groundingSelection, groundTokens } from './grounding.js';
import { addSurfaceHeightParams, surfaceHeightClasses, surfaceHeightLogits } from './surface-height-term.js';

// The add-ons' public names, as the network's package index has named them from this file.
export { GROUNDING_FEATURES } from './grounding.js';
export { SURFACE_HEIGHT_CLASSES, SURFACE_HEIGHT_MAX, surfaceHeightClasses, surfaceHeightTableGradient } from './surface-height-term.js';

export interface PeractNetwork {
  readonly config: NetworkConfig;
  readonly seed: number;
  /** Trainable weights by stable name. */
  readonly params: ParamMap;
  /** Constant tensors (spatial-softmax coordinates); not saved. */
  readonly constants: { tokenCoordinates: tf.Tensor2D; groundingSelect: tf.Tensor2D };
  /** Seeds dropout masks; part of the training state. */
  dropoutRng: Rng;
}

export interface NetworkInput {
  /** [B, V, V, V, inputChannels] float32, [x][y][z][channel]. */
  voxels: tf.Tensor;
  /**
   * [B, V^3] int32 surface-height classes of the voxels (perception's `surfaceHeights` with
   * SURFACE_HEIGHT_MAX), for the surfaceHeight term. Optional: computed from the voxels in the
   * graph when missing (same classes, ~75 ms more a batch-8 step on wasm than the encoder's
   * JavaScript loop, measured).
   */
  surfaceHeights?: tf.Tensor;
  /** [B, proprioDim] float32. */
  proprio: tf.Tensor;
  /** [B, languageLength] int32 token ids. */
  language: tf.Tensor;
  /**
   * [B] int32: which level of the coarse-to-fine grid each item is (0 coarse, 1 fine); required
   * when config.levels > 1. A learned row per level is added to every token of the item.
   */
  level?: tf.Tensor;
  /**
   * [B] int32 flat voxel index whose patch token the head reads (config.localHead); training
   * passes the demonstrated voxel. Default: the argmax of the translation logits.
   */
  headVoxel?: tf.Tensor;
}

export interface NetworkOutput {
  /** [B, V^3] logits, flattened [x][y][z]. */
  translation: tf.Tensor2D;
  /** [B, 3, rotationBins] logits for Euler x, y, z. */
  rotation: tf.Tensor3D;
  /** [B, 2] */
  gripper: tf.Tensor2D;
  /** [B, 2] */
  collision: tf.Tensor2D;
}

/** Builds every weight from `seed` (same seed, same config -> identical weights). */
export function createNetwork(config: NetworkConfig, seed: number): PeractNetwork {
  validateConfig(config);
  assertPositiveInteger(seed, 'seed', 0);
  const c = config;
  const s = derivedSizes(c);
  const D = s.tokenDim;
  const b = new ParamBuilder(seed);
  if (c.voxelFeatureDim > 0) b.linear('voxel.in', c.inputChannels, c.voxelFeatureDim);
  b.linear('voxel.patch', s.patchVolume * s.voxelChannels, c.voxelTokenDim);
  b.linear('proprio', c.proprioDim, c.proprioFeatureDim);
  b.add('language.embedding', [c.vocabSize, c.languageEmbedDim], { kind: 'normal', std: 1 });
  b.linear('language.proj', c.languageEmbedDim, D);
  b.add('position', [c.languageLength + s.numPatches, D], { kind: 'normal', std: 0.02 });
  b.add('latents', [c.numLatents, c.latentDim], { kind: 'normal', std: 1 });
  addAttention(b, 'encoder.cross', c.latentDim, D, c.crossHeads * c.crossHeadDim, c.latentDim);
  b.layerNorm('encoder.cross.norm_kv', D);
  addFeedForward(b, 'encoder.ff', c.latentDim, c.ffMult);
  for (let i = 0; i < c.selfAttentionLayers; i++) {
    addAttention(b, `layers.${i}.attn`, c.latentDim, c.latentDim, c.selfHeads * c.selfHeadDim, c.latentDim);
    addFeedForward(b, `layers.${i}.ff`, c.latentDim, c.ffMult);
  }
  addAttention(b, 'decoder.cross', D, c.latentDim, c.crossHeads * c.crossHeadDim, D);
  b.layerNorm('decoder.cross.norm_kv', c.latentDim);
  b.linear('decoder.shuffle', D, s.patchVolume);
  b.linear('decoder.skip', D, s.voxelChannels);
  if (c.axisLogits) b.linear('decoder.axes', D, 3 * c.patchSize);
  // The add-ons' weights, in this order: each draw from the seed's stream stays where it was.
  if (c.surfaceHeight) addSurfaceHeightParams(b, s.headInputDim);
  if (c.languageGrounding) addGroundingParams(b, c.vocabSize, D);
  b.linear('head.dense0', s.headDenseInputDim, c.headHidden[0]);
  b.linear('head.dense1', c.headHidden[0], c.headHidden[1]);
  b.linear('head.out', c.headHidden[1], s.outputLogits);
  // Last, so adding it left every other weight's random draw as it was.
  if (c.levels > 1) b.add('level', [c.levels, D], { kind: 'normal', std: 0.02 });
  return {
    config: { ...c },
    seed,
    params: b.params,
    constants: {
      tokenCoordinates: gridCoordinates(s.patchesPerAxis),
      groundingSelect: groundingSelection(c.inputChannels),
    },
    dropoutRng: new Rng(seed ^ 0x5eed),
  };
}

function addAttention(b: ParamBuilder, name: string, queryDim: number, contextDim: number, inner: number, outDim: number): void {
  b.layerNorm(`${name}.norm_q`, queryDim);
  b.add(`${name}.wq`, [queryDim, inner], { kind: 'normal', std: 1 / Math.sqrt(queryDim) });
  b.add(`${name}.wk`, [contextDim, inner], { kind: 'normal', std: 1 / Math.sqrt(contextDim) });
  b.add(`${name}.wv`, [contextDim, inner], { kind: 'normal', std: 1 / Math.sqrt(contextDim) });
  b.add(`${name}.wo`, [inner, outDim], { kind: 'normal', std: 1 / Math.sqrt(inner) });
  b.add(`${name}.bo`, [outDim], { kind: 'zeros' });
}

function addFeedForward(b: ParamBuilder, name: string, dim: number, mult: number): void {
  b.layerNorm(`${name}.norm`, dim);
  b.linear(`${name}.in`, dim, 2 * mult * dim);
  b.linear(`${name}.out`, mult * dim, dim);
}

export function disposeNetwork(net: PeractNetwork): void {
  for (const v of net.params.values()) v.dispose();
  net.constants.tokenCoordinates.dispose();
  net.constants.groundingSelect.dispose();
}

export function parameterCount(net: PeractNetwork): number {
  let n = 0;
  for (const v of net.params.values()) n += v.size;
  return n;
}

function attentionWeights(p: ParamMap, name: string): AttentionWeights {
  return {
    wq: param(p, `${name}.wq`),
    wk: param(p, `${name}.wk`),
    wv: param(p, `${name}.wv`),
    wo: param(p, `${name}.wo`),
    bo: param(p, `${name}.bo`),
  };
}

function norm(p: ParamMap, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return layerNorm(x, param(p, `${name}.g`), param(p, `${name}.b`));
}

function dense(p: ParamMap, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return linear(x, param(p, `${name}.w`), param(p, `${name}.b`));
}

function feedForward(p: ParamMap, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const hidden = geglu(norm(p, `${name}.norm`, x), param(p, `${name}.in.w`), param(p, `${name}.in.b`));
    return tf.add(x, dense(p, `${name}.out`, hidden));
  });
}

/**
 * Within-patch logits that are a sum of one term per axis, logit(a, b, c) = fx[a] + fy[b] + fz[c],
 * from [rows, 3p] -> [rows, p^3] in (a, b, c) order. The log of a Gaussian target is exactly
 * such a sum, so a token can place a sharp peak anywhere in its patch with 3p outputs instead
 * of learning p^3 independent ones (the free `decoder.shuffle` term stays for the rest).
 */
function separableLogits(axes: tf.Tensor2D, rows: number, patch: number): tf.Tensor2D {
  return tf.tidy(() => {
    const fx = tf.reshape(tf.slice(axes, [0, 0], [rows, patch]), [rows, patch, 1]);
    const fy = tf.reshape(tf.slice(axes, [0, patch], [rows, patch]), [rows, 1, patch]);
    const fz = tf.reshape(tf.slice(axes, [0, 2 * patch], [rows, patch]), [rows, 1, patch]);
    const xy = tf.reshape(tf.add(fx, fy), [rows, patch * patch, 1]);
    return tf.reshape(tf.add(xy, fz), [rows, patch ** 3]);
  });
}

export function validateInput(config: NetworkConfig, input: NetworkInput): number {
  const V = config.gridSize;
  const { voxels, proprio, language } = input;
  if (!(voxels instanceof tf.Tensor)) throw invalidArgument('input.voxels', 'must be a tf.Tensor');
  if (!(proprio instanceof tf.Tensor)) throw invalidArgument('input.proprio', 'must be a tf.Tensor');
  if (!(language instanceof tf.Tensor)) throw invalidArgument('input.language', 'must be a tf.Tensor');
  const B = voxels.shape[0] ?? 0;
  const want = (field: string, t: tf.Tensor, shape: number[]): void => {
    if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw invalidArgument(field, `must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
    }
  };
  if (B < 1) throw invalidArgument('input.voxels', 'must have a batch of at least 1');
  want('input.voxels', voxels, [B, V, V, V, config.inputChannels]);
  want('input.proprio', proprio, [B, config.proprioDim]);
  want('input.language', language, [B, config.languageLength]);
  if (language.dtype !== 'int32') throw invalidArgument('input.language', `must be int32, got ${language.dtype}`);
  if (voxels.dtype !== 'float32') throw invalidArgument('input.voxels', `must be float32, got ${voxels.dtype}`);
  if (config.levels > 1 || input.level !== undefined) {
    if (!(input.level instanceof tf.Tensor)) throw invalidArgument('input.level', `must be a tf.Tensor (the network has ${config.levels} levels)`);
    want('input.level', input.level, [B]);
    if (input.level.dtype !== 'int32') throw invalidArgument('input.level', `must be int32, got ${input.level.dtype}`);
  }
  if (input.headVoxel !== undefined) {
    if (!(input.headVoxel instanceof tf.Tensor)) throw invalidArgument('input.headVoxel', 'must be a tf.Tensor');
    want('input.headVoxel', input.headVoxel, [B]);
    if (input.headVoxel.dtype !== 'int32') throw invalidArgument('input.headVoxel', `must be int32, got ${input.headVoxel.dtype}`);
  }
  if (input.surfaceHeights !== undefined) {
    if (!(input.surfaceHeights instanceof tf.Tensor)) throw invalidArgument('input.surfaceHeights', 'must be a tf.Tensor');
    want('input.surfaceHeights', input.surfaceHeights, [B, V ** 3]);
    if (input.surfaceHeights.dtype !== 'int32') throw invalidArgument('input.surfaceHeights', `must be int32, got ${input.surfaceHeights.dtype}`);
  }
  return B;
}

export interface ForwardOptions {
  /** Enables dropout. */
  training?: boolean;
}

/**
 * Runs the network. Call inside tf.tidy (or dispose the outputs); the result tensors are
 * new. Dropout (training only) draws its seeds from net.dropoutRng.
 */
export function forward(net: PeractNetwork, input: NetworkInput, options: ForwardOptions = {}): NetworkOutput {
  const c = net.config;
  const s = derivedSizes(c);
  const B = validateInput(c, input);
  if (net.constants.tokenCoordinates.isDisposed) throw new PeractError('INVALID_ARGUMENT', 'network was disposed', { field: 'net' });
  const p = net.params;
  const rate = options.training ? c.dropout : 0;
  const nextSeed = (): number => net.dropoutRng.nextUint32();
  const V = c.gridSize;
  const T = s.numPatches;
  const L = c.languageLength;
  const D = s.tokenDim;
  const N = c.numLatents;

  // Nested tidies free the full-resolution intermediates as soon as the patches exist: the
  // paper preset's 100^3 x 64 grid is 256 MB a copy, and without them a batch-1 forward ran
  // the wasm heap out of memory (measured). Tensors needed for gradients are kept by the tape.
  const { patches, voxelTokens } = tf.tidy(() => {
    // 1x1x1 conv as one matMul over all voxels of the batch (or the raw channels, see config.ts).
    const flat = tf.reshape(input.voxels, [B * s.numVoxels, c.inputChannels]) as tf.Tensor2D;
    const d0 = c.voxelFeatureDim > 0 ? leakyRelu(dense(p, 'voxel.in', flat), c.leakySlope) : flat;
    // Patchify conv (kernel = stride = p) as reshape/transpose + matMul.
    const patchMatrix = patchify(d0, B, V, c.patchSize, s.voxelChannels);
    const patchWeights = [param(p, 'voxel.patch.w'), param(p, 'voxel.patch.b')] as const;
    const embedded = leakyRelu(
      c.voxelFeatureDim > 0 ? linear(patchMatrix, ...patchWeights) : linearConstantInput(patchMatrix, ...patchWeights),
      c.leakySlope,
    );
    return { patches: patchMatrix, voxelTokens: embedded };
  });
  const proprio = leakyRelu(dense(p, 'proprio', input.proprio as tf.Tensor2D), c.leakySlope);
  // Broadcast by adding zeros, not tf.tile/broadcastTo: their gradient is a loop of T slices
  // and adds (512 of each, ~130 ms of a batch-8 step, measured); add's is one sum.
  const tiledProprio = tf.add(tf.zeros([1, T, c.proprioFeatureDim]), tf.reshape(proprio, [B, 1, c.proprioFeatureDim]));
  const tokens = tf.concat([tf.reshape(voxelTokens, [B, T, c.voxelTokenDim]), tiledProprio], 2);
  // Embedding lookup as one-hot x table: wasm has no UnsortedSegmentSum, the gradient of gather.
  const ids = tf.reshape(input.language, [B * L]) as tf.Tensor1D;
  const oneHotWords = tf.oneHot(ids, c.vocabSize) as tf.Tensor2D;
  const embedded = matMul2d(oneHotWords, param(p, 'language.embedding') as tf.Tensor2D);
  const languageTokens = tf.reshape(dense(p, 'language.proj', embedded), [B, L, D]);
  let grounding: tf.Tensor2D | undefined;
  let groundedTokens: tf.Tensor = tokens;
  if (c.languageGrounding) {
    grounding = groundingScores(p, net.constants.groundingSelect, tf.reshape(input.voxels, [B * s.numVoxels, c.inputChannels]) as tf.Tensor2D, oneHotWords, ids, B, L);
    groundedTokens = groundTokens(p, tokens, grounding, B, V, c.patchSize);
  }
  let sequence = tf.add(tf.concat([languageTokens, groundedTokens], 1), param(p, 'position'));
  if (c.levels > 1) {
    const levelRows = matMul2d(tf.oneHot(input.level as tf.Tensor1D, c.levels) as tf.Tensor2D, param(p, 'level') as tf.Tensor2D);
    sequence = tf.add(sequence, tf.reshape(levelRows, [B, 1, D]));
  }
  const S = L + T;
  const context = dropout(tf.reshape(sequence, [B * S, D]) as tf.Tensor2D, rate, nextSeed());

  // Encoder: latents (shared by all items) attend to the sequence.
  const latentsParam = param(p, 'latents') as tf.Tensor2D;
  const crossOut = attention(
    norm(p, 'encoder.cross.norm_q', latentsParam),
    norm(p, 'encoder.cross.norm_kv', context),
    attentionWeights(p, 'encoder.cross'),
    { batch: B, queriesPerItem: N, keysPerItem: S, heads: c.crossHeads, headDim: c.crossHeadDim, sharedQueries: true, dropoutRate: rate, nextSeed },
  );
  const batchLatents = B === 1 ? latentsParam : tf.reshape(tf.add(tf.zeros([B, 1, 1]), latentsParam), [B * N, c.latentDim]);
  let latents = tf.add(crossOut, batchLatents) as tf.Tensor2D;
  latents = feedForward(p, 'encoder.ff', latents);
  for (let i = 0; i < c.selfAttentionLayers; i++) {
    const normed = norm(p, `layers.${i}.attn.norm_q`, latents);
    const attended = attention(normed, normed, attentionWeights(p, `layers.${i}.attn`), {
      batch: B, queriesPerItem: N, keysPerItem: N, heads: c.selfHeads, headDim: c.selfHeadDim, dropoutRate: rate, nextSeed,
    });
    latents = feedForward(p, `layers.${i}.ff`, tf.add(latents, attended));
  }

  // Decoder: the voxel tokens query the latents (the language queries are not needed).
  const queries = tf.reshape(tf.slice(sequence, [0, L, 0], [B, T, D]), [B * T, D]) as tf.Tensor2D;
  const decoded = attention(
    norm(p, 'decoder.cross.norm_q', queries),
    norm(p, 'decoder.cross.norm_kv', latents),
    attentionWeights(p, 'decoder.cross'),
    { batch: B, queriesPerItem: T, keysPerItem: N, heads: c.crossHeads, headDim: c.crossHeadDim, dropoutRate: rate, nextSeed },
  );
  const u = tf.add(decoded, queries) as tf.Tensor2D; // [B*T, D]

  // Translation: per-token logits for its p^3 voxels plus a token-conditioned dot product with
  // each voxel's own features (the skip connection), then back to [x][y][z] order.
  const free = dense(p, 'decoder.shuffle', u);
  const shuffle = c.axisLogits ? tf.add(free, separableLogits(dense(p, 'decoder.axes', u), B * T, c.patchSize)) : free;
  const skip = tf.tidy(() => {
    const skipQuery = tf.reshape(dense(p, 'decoder.skip', u), [B * T, 1, s.voxelChannels]);
    return tf.sum(tf.mul(tf.reshape(patches, [B * T, s.patchVolume, s.voxelChannels]), skipQuery), 2);
  });
  const decodedLogits = unpatchify(tf.add(shuffle, skip), B, V, c.patchSize);
  const grounded = grounding ? groundedLogits(p, decodedLogits, grounding, B, V) : decodedLogits;

  // Rotation / gripper / collision head, from the patch tokens before and after the latents.
  // PerAct pools the full-resolution 1x1x1 features instead; on wasm the max-pool gradient
  // there (an Equal broadcast over 14M elements) alone took ~0.9 s of a batch-8 step.
  const features = tf.concat(
    [spatialSoftmaxAndMax(voxelTokens, B, net.constants.tokenCoordinates), spatialSoftmaxAndMax(u, B, net.constants.tokenCoordinates)],
    1,
  ) as tf.Tensor2D;
  let translation = grounded;
  if (c.surfaceHeight) {
    const heights = input.surfaceHeights ?? surfaceHeightClasses(tf.reshape(input.voxels, [B * s.numVoxels, c.inputChannels]) as tf.Tensor2D, B, V);
    translation = tf.add(grounded, surfaceHeightLogits(p, heights, features, B, V));
  }
  let headInput = features;
  if (c.localHead) {
    // The decoded token of the patch holding the chosen voxel, as a one-hot weighted sum (a
    // gather's gradient does not exist on wasm).
    const local = tf.tidy(() => {
      const voxel = (input.headVoxel ?? tf.argMax(translation, 1)) as tf.Tensor1D;
      const P = V / c.patchSize;
      const axis = (flat: tf.Tensor, stride: number): tf.Tensor => tf.floorDiv(tf.mod(tf.floorDiv(flat, stride), V), c.patchSize);
      const patch = tf.add(tf.mul(tf.add(tf.mul(axis(voxel, V * V), P), axis(voxel, V)), P), axis(voxel, 1));
      const select = tf.cast(tf.oneHot(tf.cast(patch, 'int32') as tf.Tensor1D, T), 'float32');
      return tf.sum(tf.mul(tf.reshape(u, [B, T, D]), tf.reshape(select, [B, T, 1])), 1);
    });
    headInput = tf.concat([features, local], 1) as tf.Tensor2D;
  }
  const h0 = leakyRelu(dense(p, 'head.dense0', headInput), c.leakySlope);
  const h1 = leakyRelu(dense(p, 'head.dense1', h0), c.leakySlope);
  const out = dense(p, 'head.out', h1);
  const R = c.rotationBins;
  return {
    translation,
    rotation: tf.reshape(tf.slice(out, [0, 0], [B, 3 * R]), [B, 3, R]) as tf.Tensor3D,
    gripper: tf.slice(out, [0, 3 * R], [B, 2]),
    collision: tf.slice(out, [0, 3 * R + 2], [B, 2]),
  };
}
