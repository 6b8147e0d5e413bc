/** The runtime's shared vocabulary: types, errors, poses, seeds, files, the Policy and Env contracts and the episode loop. */
export type { Vec3, Quat, Pose, CameraIntrinsics, CameraFrame, Observation, Action, ResetOptions, ResetResult, StepResult, Env } from './types.js';
export type { VoxelScore, PolicyOutput, ActOptions, Policy } from './policy-interface.js';
export { runEpisode, canObserve, type EpisodeOutcome, type RefusalRule, type EpisodeStep, type EpisodeOptions, type EpisodeResult, type ObservableEnv } from './episode.js';
export { PeractError, invalidArgument, type PeractErrorCode } from './errors.js';
export { Rng } from './rng.js';
export { canonicalQuaternion, quatFromWxyz, quatToWxyz, matrixFromPose, poseFromMatrix, matrix4FromPose, poseFromMatrix4, rotateVector, quaternionAngle, checkedMatrix4 } from './pose.js';
export { assertFiniteNumber, assertPositiveInteger, assertFiniteArray, summariseValue } from './validate.js';
export { sha256Hex, writeFileAtomic, writeJsonAtomic, readFileVerified, parseJsonChecked, readJsonChecked, corruptFile } from './files.js';
export { EPISODE_SEED_BLOCK, episodeSeed, formatSeedRanges, parseSeedRanges } from './seeds.js';
export { encodeRgbPng } from './png.js';
