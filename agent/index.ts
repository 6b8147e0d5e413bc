/**
 * The PerAct agent: load a policy and act, train and fine-tune, evaluate, read and write
 * checkpoints, draw rollouts. The network's and the checkpoint format's parts are in
 * agent/network and agent/checkpoint.
 */
export { selectBackend, type BackendName, type SelectedBackend } from './backend/backend.js';
export { loadPolicy, resolveCheckpointDir, type LoadedPolicy } from './acting/load-policy.js';
export { PeractPolicy, type PeractPolicyOptions } from './acting/peract-policy.js';
export { agentSpec, TABLETOP_BOUNDS, type AgentSpec } from './encoding/spec.js';
export { SampleEncoder, type SampleInput, type SampleTargets, type BatchArrays } from './encoding/samples.js';
export { train, type TrainOptions, type TrainProgress, type TrainResult } from './training/trainer.js';
export { writeCurves } from './training/run-files.js';
export { GradientReplicas } from './training/gradient-replica.js';
export { rollout, type RolloutOptions, type RolloutResult, type RolloutStep, type RolloutOutcome } from './evaluation/rollout.js';
export {
  evaluate,
  reportMarkdown,
  checkSeedOverlap,
  type EvaluateOptions,
  type EvaluationReport,
  type EpisodeSummary,
  type SuccessRates,
  type TaskResult,
} from './evaluation/evaluate.js';
export { datasetAccuracy, accuracyMarkdown, type DatasetAccuracyOptions, type TaskAccuracy } from './evaluation/dataset-accuracy.js';
export { loadParaphrases, parseParaphrases, fillParaphrase, placeholdersOf, type Paraphrases, type ParaphraseExpectation } from './evaluation/paraphrases.js';
export { loadCheckpoint, saveCheckpoint, latestCheckpoint, type LoadedCheckpoint, type CheckpointPayload, type CheckpointConfig } from './checkpoint/index.js';
export { PRESETS, resolveConfig, createNetwork, forward, disposeNetwork, parameterCount, type NetworkConfig, type PresetName, type PeractNetwork } from './network/index.js';
export { rolloutStrip, writeRolloutPng, type RolloutStripOptions } from './report/index.js';
