/**
 * config.json of a checkpoint: what the weights are (network config and preset), how they were
 * trained (opaque hyper-parameters, datasets by manifest checksum), how observations and
 * actions were discretised (bounds, grid, rotation resolution, tokenizer), and the checksums
 * of the weight files. Written last, so a folder without it is an interrupted save.
 */
import { z } from 'zod';
import { goalWords, isVocabularyWord, TOKENIZER_KINDS, WORD_VOCAB_SIZE } from '../../perception/index.js';
import type { NetworkConfig } from '../network/index.js';

export const CHECKPOINT_FORMAT = 'peract-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const CONFIG_FILE = 'config.json';
export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

const finite = z.number().refine(Number.isFinite, 'must be finite');
const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);
const uint32 = z.number().int().min(0).max(0xffffffff);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

/** Every NetworkConfig field, nothing else: an unknown field would mean an unknown architecture. */
export const networkConfigSchema = z.strictObject({
  gridSize: positiveInt,
  inputChannels: positiveInt,
  voxelFeatureDim: nonNegativeInt,
  patchSize: positiveInt,
  voxelTokenDim: positiveInt,
  proprioDim: positiveInt,
  proprioFeatureDim: positiveInt,
  languageLength: positiveInt,
  vocabSize: positiveInt,
  languageEmbedDim: positiveInt,
  numLatents: positiveInt,
  latentDim: positiveInt,
  crossHeads: positiveInt,
  crossHeadDim: positiveInt,
  selfAttentionLayers: nonNegativeInt,
  selfHeads: positiveInt,
  selfHeadDim: positiveInt,
  ffMult: positiveInt,
  rotationBins: positiveInt,
  headHidden: z.tuple([positiveInt, positiveInt]),
  leakySlope: finite,
  dropout: finite,
  // Added after the first checkpoints were written; load.ts resolves a missing axisLogits or
  // languageGrounding or surfaceHeight from the weights, a missing tokenizer from the
  // tokenizer record, and missing levels as one level.
  axisLogits: z.boolean().optional(),
  tokenizer: z.enum(TOKENIZER_KINDS).optional(),
  languageGrounding: z.boolean().optional(),
  surfaceHeight: z.boolean().optional(),
  levels: z.number().int().min(1).max(2).optional(),
  fineCubeMetres: finite.optional(),
  localHead: z.boolean().optional(),
});

export const fileRecordSchema = z.strictObject({ bytes: nonNegativeInt, sha256 });

export const tokenizerRecordSchema = z.strictObject({
  kind: z.string().min(1),
  length: positiveInt,
  vocab: positiveInt,
  /**
   * `words-v1` only: words appended to the vocabulary by fine-tuning, in id order (the first is
   * id 512, after the hash buckets). Absent in checkpoints that added none.
   */
  addedWords: z.array(z.string().min(1)).optional(),
});

/** Where a fine-tuned run's weights came from (`peract train --init`). */
export const initRecordSchema = z.strictObject({
  /** The --init folder as given. */
  dir: z.string().min(1),
  /** The init checkpoint's training step and model.safetensors checksum. */
  step: nonNegativeInt.optional(),
  modelSha256: sha256.optional(),
});

export const datasetRecordSchema = z.strictObject({ dir: z.string().min(1), manifestSha256: sha256 });

export const rngStateSchema = z.tuple([uint32, uint32, uint32, uint32]);

export const checkpointConfigSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  formatVersion: z.literal(CHECKPOINT_FORMAT_VERSION),
  preset: z.string().min(1),
  network: networkConfigSchema,
  training: z.record(z.string(), z.json()),
  tokenizer: tokenizerRecordSchema,
  bounds: z.tuple([finite, finite, finite, finite, finite, finite]),
  gridSize: positiveInt,
  rotationResolutionDeg: finite.refine((v) => v > 0, 'must be > 0'),
  /** PerAct's proprio time uses it; optional because the brief's format predates it. */
  episodeLength: z.number().int().min(2).optional(),
  step: nonNegativeInt,
  /** The optimizer's own step count (bias correction); present with optimizer.safetensors. */
  optimizerStep: nonNegativeInt.optional(),
  datasets: z.array(datasetRecordSchema),
  files: z.strictObject({
    [MODEL_FILE]: fileRecordSchema,
    [OPTIMIZER_FILE]: fileRecordSchema.optional(),
  }),
  rng: z.record(z.string().min(1), rngStateSchema),
  /** Fine-tuned runs: the checkpoint the run started from. */
  initialisedFrom: initRecordSchema.optional(),
  createdAt: z.iso.datetime(),
});

/** config.json as written by older versions too (network.axisLogits etc. may be missing). */
export type StoredCheckpointConfig = z.infer<typeof checkpointConfigSchema>;
/** config.json once loaded: every network field resolved. */
export type CheckpointConfig = Omit<StoredCheckpointConfig, 'network'> & { network: NetworkConfig };
export type FileRecord = z.infer<typeof fileRecordSchema>;
export type TokenizerRecord = z.infer<typeof tokenizerRecordSchema>;
export type DatasetRecord = z.infer<typeof datasetRecordSchema>;
export type InitRecord = z.infer<typeof initRecordSchema>;
export type RngState = z.infer<typeof rngStateSchema>;
export type JsonValue = z.infer<ReturnType<typeof z.json>>;

/**
 * Cross-field rules zod cannot express. Each mismatch would make a loaded policy decode
 * differently from the one that was trained, so save refuses and load reports them.
 */
export function consistencyProblem(config: Omit<CheckpointConfig, 'files' | 'createdAt'>): { field: string; problem: string } | undefined {
  const n = config.network;
  if (config.gridSize !== n.gridSize) {
    return { field: 'gridSize', problem: `${config.gridSize} differs from network.gridSize ${n.gridSize}` };
  }
  if (config.tokenizer.length !== n.languageLength) {
    return { field: 'tokenizer.length', problem: `${config.tokenizer.length} differs from network.languageLength ${n.languageLength}` };
  }
  if (config.tokenizer.kind !== n.tokenizer) {
    return { field: 'tokenizer.kind', problem: `${config.tokenizer.kind} differs from network.tokenizer ${n.tokenizer}` };
  }
  if (config.tokenizer.vocab !== n.vocabSize) {
    return { field: 'tokenizer.vocab', problem: `${config.tokenizer.vocab} differs from network.vocabSize ${n.vocabSize}` };
  }
  const added = addedWordsProblem(config.tokenizer);
  if (added) return added;
  const bins = 360 / config.rotationResolutionDeg;
  if (Math.abs(bins - n.rotationBins) > 1e-9) {
    return { field: 'rotationResolutionDeg', problem: `${config.rotationResolutionDeg} gives ${bins} bins, network.rotationBins is ${n.rotationBins}` };
  }
  for (let a = 0; a < 3; a++) {
    if (!(config.bounds[a] < config.bounds[a + 3])) {
      return { field: `bounds[${a}]`, problem: `min (${config.bounds[a]}) must be < max (${config.bounds[a + 3]})` };
    }
  }
  return undefined;
}

/** Added words: `words-v1` only, one per row past the base vocabulary, each a single new word. */
function addedWordsProblem(tokenizer: TokenizerRecord): { field: string; problem: string } | undefined {
  const words = tokenizer.addedWords ?? [];
  if (tokenizer.kind !== 'words-v1') {
    return words.length > 0 ? { field: 'tokenizer.addedWords', problem: `only a words-v1 vocabulary can be extended, not ${tokenizer.kind}` } : undefined;
  }
  if (tokenizer.vocab !== WORD_VOCAB_SIZE + words.length) {
    return { field: 'tokenizer.vocab', problem: `${tokenizer.vocab} differs from ${WORD_VOCAB_SIZE} words-v1 rows plus ${words.length} added words` };
  }
  const seen = new Set<string>();
  for (const [i, word] of words.entries()) {
    const split = goalWords(word);
    if (split.length !== 1 || split[0] !== word) return { field: `tokenizer.addedWords[${i}]`, problem: `${JSON.stringify(word)} is not one normalised word` };
    if (isVocabularyWord(word)) return { field: `tokenizer.addedWords[${i}]`, problem: `${JSON.stringify(word)} is already in the words-v1 vocabulary` };
    if (seen.has(word)) return { field: `tokenizer.addedWords[${i}]`, problem: `${JSON.stringify(word)} is listed twice` };
    seen.add(word);
  }
  return undefined;
}
