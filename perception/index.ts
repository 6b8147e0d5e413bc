export * from './bounds.js';
export * from './point-cloud.js';
export * from './backproject.js';
export * from './voxel-grid.js';
export * from './surface-height.js';
export * from './tokenizer.js';
export { describeReading, SYNONYM_SOURCE, vocabularyWordFor, type WordReading } from './synonyms.js';
export { WORDS_V1 } from './word-vocabulary.js';
export * from './action-codes.js';
export * from './augmentation.js';
export * from './keyframes.js';
export {
  DEFAULT_MOTION_KEYFRAME_OPTIONS,
  MotionKeyframeDetector,
  discoverMotionKeyframes,
  type MotionKeyframeOptions,
  type MotionSample,
} from './motion-keyframes.js';
export * from './dataset/index.js';
