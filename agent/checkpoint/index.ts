/**
 * Checkpoints: a folder with config.json (checked by zod, lists the other files' checksums),
 * model.safetensors and, for training state, optimizer.safetensors, readable from Python with
 * `safetensors.numpy.load_file` (README, "Reading the weights from Python").
 */
export { saveCheckpoint, type CheckpointPayload } from './save.js';
export { loadCheckpoint, type LoadedCheckpoint, type LoadOptions } from './load.js';
export { saveRunCheckpoint, latestCheckpoint, type CheckpointRef } from './run.js';
export { encodeSafetensors, decodeSafetensors, type DecodedSafetensors, type SafetensorsHeaderEntry } from './safetensors.js';
export { expectedParameterShapes } from './shapes.js';
export { tensorsFromParams, assignParams, restoreOptimizerState } from './tf-params.js';
export type { PlainTensor, TensorMap } from './tensors.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CONFIG_FILE,
  MODEL_FILE,
  OPTIMIZER_FILE,
  checkpointConfigSchema,
  type CheckpointConfig,
  type DatasetRecord,
  type InitRecord,
  type JsonValue,
  type TokenizerRecord,
} from './schema.js';
