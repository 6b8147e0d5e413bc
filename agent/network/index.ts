/** The PerAct network in tfjs: configuration and presets, the model, its loss, optimizer and training step. */
export { PRESETS, resolveConfig, validateConfig, derivedSizes, type NetworkConfig, type PresetName } from './config.js';
export {
  createNetwork,
  forward,
  disposeNetwork,
  parameterCount,
  GROUNDING_FEATURES,
  SURFACE_HEIGHT_CLASSES,
  SURFACE_HEIGHT_MAX,
  surfaceHeightClasses,
  surfaceHeightTableGradient,
  type PeractNetwork,
  type NetworkInput,
  type NetworkOutput,
  type ForwardOptions,
} from './model.js';
export { loss, crossEntropy, gaussianTargets, circularGaussianTargets, type ActionTargets, type LossOptions } from './loss.js';
export { learningRateAt, type LearningRateSchedule, type ScheduleKind } from './schedule.js';
export { Optimizer, type OptimizerConfig } from './optimizer.js';
export { trainStep, computeGradients, type TrainingBatch, type LossValues, type StepOptions } from './train.js';
export { attention, type AttentionWeights } from './attention.js';
export { patchify, unpatchify } from './patches.js';
