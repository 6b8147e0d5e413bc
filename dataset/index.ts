export * from './types.js';
export { openDatasetWriter, type DatasetWriter, type OpenDatasetWriterOptions } from './writer.js';
export { openDataset, type Dataset, type LoadEpisodeOptions } from './loader.js';
export { observationAt } from './observation.js';
export { MANIFEST_FILE, LOWDIM_FILE, CAMERAS_FILE, episodeDirName, imageFileName, type ImageKind } from './layout.js';
export * from './keyframes.js';
export {
  DEFAULT_MOTION_KEYFRAME_OPTIONS,
  MotionKeyframeDetector,
  discoverMotionKeyframes,
  type MotionKeyframeOptions,
  type MotionSample,
} from './motion-keyframes.js';
