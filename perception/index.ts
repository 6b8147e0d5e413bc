/** From camera frames and goals to what the network sees: point clouds, voxel grids, tokens, action codes. */
export { PERACT_BOUNDS, PERACT_GRID_SIZE, checkBounds, checkGridSize, voxelResolution, cubeBounds, type SceneBounds } from './bounds.js';
export { allocatePointCloud, type PointCloud } from './point-cloud.js';
export { backProject, depthFromMillimetres, depthToMillimetres, type BackProjectOptions } from './backproject.js';
export { VOXEL_CHANNELS, CHANNEL, Voxelizer, voxelize, voxelCentre, type VoxelGrid, type VoxelizerOptions } from './voxel-grid.js';
export { surfaceHeights } from './surface-height.js';
export {
  TOKENIZER_KINDS,
  SPECIAL_TOKENS,
  VOCAB_SIZE,
  WORD_HASH_BUCKETS,
  WORD_OFFSET,
  WORD_VOCAB_SIZE,
  vocabSizeOf,
  checkTokenizerKind,
  tokenize,
  tokenizeAs,
  tokenizeWords,
  detokenize,
  normaliseGoal,
  goalWords,
  readWords,
  wordId,
  hashedWordId,
  isVocabularyWord,
  addedWordIds,
  type TokenizerKind,
  type Tokens,
  type AddedWordIds,
  type WordTokenizerOptions,
} from './tokenizer.js';
export { describeReading, SYNONYM_SOURCE, vocabularyWordFor, type WordReading } from './synonyms.js';
export { WORDS_V1 } from './word-vocabulary.js';
export { ActionCodec, roundHalfEven, type ActionCode, type ActionCodecOptions } from './action-codes.js';
export { augmentSe3, type Se3Augmentation, type Se3AugmentationOptions } from './augmentation.js';
