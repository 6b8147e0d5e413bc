/** The demonstration dataset: its format, writer, loader, checks and keyframes. */
export {
  DATASET_FORMAT,
  DATASET_FORMAT_VERSION,
  type LowDimFrame,
  type EpisodeRecord,
  type FileEntry,
  type EpisodeEntry,
  type DatasetManifest,
} from './types.js';
export { openDatasetWriter, type DatasetWriter, type OpenDatasetWriterOptions } from './writer.js';
export { openDataset, type Dataset, type LoadEpisodeOptions } from './loader.js';
export { observationAt } from './observation.js';
export { MANIFEST_FILE, LOWDIM_FILE, CAMERAS_FILE, episodeDirName, imageFileName, type ImageKind } from './layout.js';
export {
  DEFAULT_AUGMENTATION_EVERY,
  discoverKeyframes,
  trainingPairs,
  recordedFrames,
  checkKeyframes,
  type KeyframeState,
  type KeyframeOptions,
  type TrainingPair,
} from './keyframes.js';
export {
  DEFAULT_MOTION_KEYFRAME_OPTIONS,
  MotionKeyframeDetector,
  discoverMotionKeyframes,
  type MotionKeyframeOptions,
  type MotionSample,
} from './motion-keyframes.js';
