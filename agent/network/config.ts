import { assertFiniteNumber, assertPositiveInteger, invalidArgument } from '../../core/index.js';
import { checkTokenizerKind, vocabSizeOf, type TokenizerKind } from '../../perception/index.js';

/**
 * Shape of a Perceiver-Actor network. Token dim D = voxelTokenDim + proprioFeatureDim.
 * Outputs: translation logits over gridSize^3 voxels, 3 x rotationBins rotation logits,
 * 2 gripper and 2 collision logits.
 */
export interface NetworkConfig {
  /** Voxels per axis (V). */
  gridSize: number;
  /** Channels per voxel from perception (10: xyz, rgb, index, occupancy). */
  inputChannels: number;
  /**
   * Output of the 1x1x1 conv (PerAct 64); these features are patchified and are the decoder's
   * skip features. 0: no conv, the raw input channels serve both.
   */
  voxelFeatureDim: number;
  /** Patchify kernel = stride (p); gridSize must be a multiple. */
  patchSize: number;
  voxelTokenDim: number;
  proprioDim: number;
  proprioFeatureDim: number;
  languageLength: number;
  vocabSize: number;
  /** Learned token embedding width before the Linear to D (PerAct: CLIP width 512). */
  languageEmbedDim: number;
  numLatents: number;
  latentDim: number;
  crossHeads: number;
  crossHeadDim: number;
  selfAttentionLayers: number;
  selfHeads: number;
  selfHeadDim: number;
  /** GEGLU feed-forward hidden width = ffMult * width. */
  ffMult: number;
  rotationBins: number;
  headHidden: readonly [number, number];
  leakySlope: number;
  /** Dropout on input tokens and attention weights, training only. */
  dropout: number;
  /**
   * Adds per-axis within-patch translation logits (model.ts, separableLogits). Checkpoints
   * written before it existed load with false.
   */
  axisLogits: boolean;
  /** How goals become ids (perception/tokenizer.ts); vocabSize must be its vocabulary's. */
  tokenizer: TokenizerKind;
  /**
   * Language grounding term (model.ts, groundingScores): a per-voxel score from the voxel's
   * colour and occupancy, weighted by the summed rows of the goal's words in a grounding table;
   * it is added to the translation logits (at the voxel and summed over its vertical column)
   * and, max-pooled per patch, to the voxel tokens. Checkpoints written before it existed load
   * with false.
   */
  languageGrounding: boolean;
  /**
   * Height-above-surface term (model.ts, surfaceHeightLogits): each voxel's height above the
   * nearest occupied voxel below it, in whole voxels (one class per height up to
   * SURFACE_HEIGHT_MAX, one for higher or none), weighted per class by a Linear of the head's
   * pooled features and added to the translation logits. Checkpoints written before it existed
   * load with false.
   */
  surfaceHeight: boolean;
  /**
   * Levels of the coarse-to-fine next-best voxel (1: a single grid over the bounds; 2: a coarse
   * grid over the bounds, then a grid of the same size over a cube of `fineCubeMetres` centred
   * on the coarse choice). Both levels run this one network; a learned row per level is added
   * to every input token. Checkpoints written before it existed load with 1.
   */
  levels: number;
  /** Side of the fine level's cube in metres (levels 2); 0 with one level. */
  fineCubeMetres: number;
  /**
   * The rotation / gripper / collision head also reads the decoded token of the patch that holds
   * the chosen voxel (in training the demonstrated one, when acting the translation's argmax),
   * not only features pooled over the whole grid: an object's yaw is a local feature.
   * Checkpoints written before it existed load with false.
   */
  localHead: boolean;
}

export type PresetName = 'peract' | 'cpu' | 'c2f';

/**
 * `peract`: the paper's sizes (docs/design.md, PerAct facts).
 * Differences from the paper, on purpose:
 *  - Language is learned word-token embeddings (`words-v1`, 77 ids, vocab 512) + Linear, not
 *    frozen CLIP, plus the language grounding term (languageGrounding, model.ts), which PerAct
 *    does not have: CLIP arrives knowing colour words, ours are learned from ~100 demos a task.
 *  - The surface-height term (surfaceHeight, model.ts): a translation prior on each voxel's
 *    height over the surface below it, whose 14 weights the head's features choose per item.
 *  - Translation decoder: PerAct upsamples with conv 5^3, trilinear x5, conv 5^3, concat the
 *    1x1x1 features and conv 3^3 at 100^3. On wasm conv3d is a naive loop and conv2d filters
 *    cannot be trained, so both presets use the cheap decoder of `cpu` below (per-token Linear
 *    to p^3 logits, "pixel shuffle", plus a token-conditioned dot product with the 1x1x1
 *    features of each voxel). The decoder cross-attention keeps a residual from its queries.
 *  - Head input: spatial softmax (3C) + max pool (C) of the voxel tokens (after patchify) and
 *    of the decoded tokens: 4*64 + 4*128 = 768. PerAct pools the 100^3 1x1x1 features and the
 *    upsampled features instead (1024); their gradients at full resolution are the slowest
 *    ops on wasm (model.ts).
 *
 * `cpu`: sized to train on a 2-core machine with wasm in about an hour, inference well under
 * 150 ms per action on one core. Trade-offs against the paper:
 *  - grid 48 (about 2 cm voxels over a 1 m workspace instead of 1 cm): 8.7x fewer voxels,
 *    so the 1x1x1 conv and the translation softmax cost 9x less; fine enough for tabletop
 *    pick/place with a 2 cm gripper tolerance, too coarse for peg-in-hole.
 *  - patch 6 -> 8^3 = 512 voxel tokens (paper 8000): attention cost scales with tokens; the
 *    cheap decoder recovers within-patch position from the 1x1x1 features.
 *  - no 1x1x1 conv (voxelFeatureDim 0): the patchify Linear sees the raw 10 channels
 *    (6^3*10 = 2160 wide) and the decoder's skip dots raw voxel features. Every elementwise op
 *    over a batch-8 48^3 x 16 feature grid costs 40-100 ms on wasm and the leakyReLU and bias
 *    gradients several of them; the per-voxel nonlinearity is what is given up.
 *  - 128 latents of 128, 3 self-attention layers of 4 heads x 32, GEGLU x2: the latent
 *    stack is ~10% of the time; more layers bought little on the tabletop tasks we size for.
 *  - language: 32 word tokens (`words-v1`; the longest task goal is 16 words), embeddings of
 *    32 -> Linear to D, prepended as in PerAct (keeps word order), plus the grounding term.
 *
 * `c2f` (the CPU default): coarse-to-fine next-best voxel, as in C2F-ARM (James et al. 2022)
 * and RVT-2's zoom-in stage. One network runs twice: over a 20^3 grid of the whole bounds
 * (2.75 x 3.5 x 3 cm voxels over `TABLETOP_BOUNDS`), then over a 20^3 grid of a 12 cm cube
 * centred on the coarse choice, voxelized afresh from the same fused cloud (0.6 cm voxels,
 * finer than the paper's 1 cm). A learned row per level tells the passes apart. The fine pass
 * gives the position, rotation, gripper and collision flag. Each pass is small: patch 4 -> 125
 * voxel tokens, 64 latents of 128, 2 self-attention layers, no dropout. Training draws the
 * fine cube's centre around the demonstrated position (trainer.ts, fineJitterMetres) so the
 * fine pass learns to correct a coarse choice that is off by up to a coarse voxel.
 */
/** The `cpu` preset (described above); `c2f` differs from it only in the fields it names. */
const CPU: Readonly<NetworkConfig> = {
  gridSize: 48,
  inputChannels: 10,
  voxelFeatureDim: 0,
  patchSize: 6,
  voxelTokenDim: 96,
  proprioDim: 4,
  proprioFeatureDim: 32,
  languageLength: 32,
  vocabSize: 512,
  languageEmbedDim: 32,
  numLatents: 128,
  latentDim: 128,
  crossHeads: 1,
  crossHeadDim: 64,
  selfAttentionLayers: 3,
  selfHeads: 4,
  selfHeadDim: 32,
  ffMult: 2,
  rotationBins: 72,
  headHidden: [256, 64],
  leakySlope: 0.02,
  dropout: 0.1,
  axisLogits: true,
  tokenizer: 'words-v1',
  languageGrounding: true,
  surfaceHeight: true,
  levels: 1,
  fineCubeMetres: 0,
  localHead: false,
};

export const PRESETS: Readonly<Record<PresetName, Readonly<NetworkConfig>>> = {
  // The paper's sizes, written as the fields in which they differ from `cpu`.
  peract: {
    ...CPU,
    gridSize: 100,
    voxelFeatureDim: 64,
    patchSize: 5,
    voxelTokenDim: 64,
    proprioFeatureDim: 64,
    languageLength: 77,
    languageEmbedDim: 512,
    numLatents: 2048,
    latentDim: 512,
    selfAttentionLayers: 6,
    selfHeads: 8,
    selfHeadDim: 64,
    ffMult: 4,
  },
  cpu: CPU,
  c2f: {
    ...CPU,
    gridSize: 20,
    patchSize: 4,
    numLatents: 64,
    selfAttentionLayers: 2,
    dropout: 0,
    levels: 2,
    fineCubeMetres: 0.12,
    localHead: true,
  },
};

const INTEGER_FIELDS = [
  'gridSize', 'inputChannels', 'patchSize', 'voxelTokenDim', 'proprioDim',
  'proprioFeatureDim', 'languageLength', 'vocabSize', 'languageEmbedDim', 'numLatents', 'latentDim',
  'crossHeads', 'crossHeadDim', 'selfHeads', 'selfHeadDim', 'ffMult', 'rotationBins',
] as const;

/** Validates a full config; throws INVALID_ARGUMENT naming the field. */
export function validateConfig(config: NetworkConfig): NetworkConfig {
  if (!config || typeof config !== 'object') throw invalidArgument('config', 'must be an object');
  for (const field of INTEGER_FIELDS) assertPositiveInteger(config[field], `config.${field}`);
  assertPositiveInteger(config.selfAttentionLayers, 'config.selfAttentionLayers', 0);
  assertPositiveInteger(config.voxelFeatureDim, 'config.voxelFeatureDim', 0);
  if (config.gridSize % config.patchSize !== 0) {
    throw invalidArgument('config.patchSize', `must divide gridSize ${config.gridSize}, got ${config.patchSize}`);
  }
  if (!Array.isArray(config.headHidden) || config.headHidden.length !== 2) {
    throw invalidArgument('config.headHidden', 'must be two layer widths');
  }
  assertPositiveInteger(config.headHidden[0], 'config.headHidden[0]');
  assertPositiveInteger(config.headHidden[1], 'config.headHidden[1]');
  assertFiniteNumber(config.leakySlope, 'config.leakySlope');
  assertFiniteNumber(config.dropout, 'config.dropout');
  if (typeof config.axisLogits !== 'boolean') throw invalidArgument('config.axisLogits', `must be a boolean, got ${String(config.axisLogits)}`);
  if (typeof config.languageGrounding !== 'boolean') {
    throw invalidArgument('config.languageGrounding', `must be a boolean, got ${String(config.languageGrounding)}`);
  }
  if (typeof config.surfaceHeight !== 'boolean') throw invalidArgument('config.surfaceHeight', `must be a boolean, got ${String(config.surfaceHeight)}`);
  const vocab = vocabSizeOf(checkTokenizerKind(config.tokenizer, 'config.tokenizer'));
  // Fine-tuning a `words-v1` network may append words to its vocabulary (rows after `vocab`);
  // the checkpoint's tokenizer record lists them.
  const extensible = config.tokenizer === 'words-v1';
  if (extensible ? config.vocabSize < vocab : config.vocabSize !== vocab) {
    throw invalidArgument('config.vocabSize', `must be ${extensible ? 'at least ' : ''}${vocab} for tokenizer ${config.tokenizer}, got ${config.vocabSize}`);
  }
  if (typeof config.localHead !== 'boolean') throw invalidArgument('config.localHead', `must be a boolean, got ${String(config.localHead)}`);
  if (config.levels !== 1 && config.levels !== 2) throw invalidArgument('config.levels', `must be 1 or 2, got ${String(config.levels)}`);
  assertFiniteNumber(config.fineCubeMetres, 'config.fineCubeMetres');
  if (config.levels === 2 ? !(config.fineCubeMetres > 0) : config.fineCubeMetres !== 0) {
    throw invalidArgument('config.fineCubeMetres', `must be > 0 with 2 levels and 0 with 1, got ${config.fineCubeMetres}`);
  }
  if (config.dropout < 0 || config.dropout >= 1) {
    throw invalidArgument('config.dropout', `must be in [0, 1), got ${config.dropout}`);
  }
  return config;
}

/** A preset by name with some fields overridden, validated. */
export function resolveConfig(preset: PresetName | NetworkConfig, overrides: Partial<NetworkConfig> = {}): NetworkConfig {
  let base: Readonly<NetworkConfig>;
  if (typeof preset === 'string') {
    if (!(preset in PRESETS)) {
      throw invalidArgument('preset', `must be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(preset)}`);
    }
    base = PRESETS[preset];
  } else {
    base = preset;
  }
  for (const key of Object.keys(overrides)) {
    if (!(key in PRESETS.cpu)) throw invalidArgument(`overrides.${key}`, 'is not a network config field');
  }
  return validateConfig({ ...base, ...overrides });
}

/** Derived sizes used across the network. */
export function derivedSizes(config: NetworkConfig): {
  tokenDim: number;
  patchesPerAxis: number;
  numPatches: number;
  patchVolume: number;
  numVoxels: number;
  voxelChannels: number;
  headInputDim: number;
  /** Width of the head's first layer input: the pooled features, plus a token with localHead. */
  headDenseInputDim: number;
  outputLogits: number;
} {
  const patchesPerAxis = config.gridSize / config.patchSize;
  const tokenDim = config.voxelTokenDim + config.proprioFeatureDim;
  return {
    tokenDim,
    patchesPerAxis,
    numPatches: patchesPerAxis ** 3,
    patchVolume: config.patchSize ** 3,
    numVoxels: config.gridSize ** 3,
    voxelChannels: config.voxelFeatureDim > 0 ? config.voxelFeatureDim : config.inputChannels,
    headInputDim: 4 * config.voxelTokenDim + 4 * tokenDim,
    headDenseInputDim: 4 * config.voxelTokenDim + 4 * tokenDim + (config.localHead ? tokenDim : 0),
    outputLogits: 3 * config.rotationBins + 2 + 2,
  };
}
