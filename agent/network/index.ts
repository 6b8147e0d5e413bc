import '../backend/tf-setup.js'; // the cpu backend and the gradients training needs
export { PRESETS, resolveConfig, validateConfig, derivedSizes, type NetworkConfig, type PresetName } from './config.js';
export { GROUNDING_FEATURES, SURFACE_HEIGHT_CLASSES, SURFACE_HEIGHT_MAX, surfaceHeightClasses, surfaceHeightTableGradient } from './model.js';
export {
  createNetwork,
  forward,
  disposeNetwork,
  parameterCount,
  type PeractNetwork,
  type NetworkInput,
  type NetworkOutput,
  type ForwardOptions,
} from './model.js';
export { loss, crossEntropy, gaussianTargets, circularGaussianTargets, type ActionTargets, type LossTensors, type LossOptions } from './loss.js';
export { learningRateAt, type LearningRateSchedule, type ScheduleKind } from './schedule.js';
export { Optimizer, DEFAULT_OPTIMIZER, type OptimizerConfig } from './optimizer.js';
export { trainStep, computeGradients, type TrainingBatch, type LossValues, type StepOptions } from './train.js';
export { attention, type AttentionWeights, type AttentionShape } from './attention.js';
export { matMul2d } from './ops.js';
export { patchify, unpatchify } from './patches.js';
export type { ParamMap } from './params.js';
