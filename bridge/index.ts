/**
 * The ROS side: a rosbridge v2 server, the simulator served as a ROS robot over it, and the
 * client that drives any rosbridge robot as an Env (run a policy on it, record demonstrations).
 */
export { BridgeServer, type BridgeServerOptions, type BridgeStats, type TopicOptions as BridgeTopicOptions } from './server/bridge-server.js';
export type { CallContext, ServiceHandler, TopicHandler } from './server/graph.js';
export { checkMessage, checkServicePart, messageFields, serviceFields, isKnownMessageType, isKnownServiceType, MessageMismatch } from './server/message-types.js';
export { toJson, toCbor, type Compression } from './server/wire.js';
export { WORLD_FRAME, TOOL_FRAME, SIM_TOPICS, SIM_SERVICES, PANDA_LINK_FRAMES, PANDA_JOINT_NAMES, SERVED_CAMERA_NAMES, SERVED_TASK_NAMES } from './ros/names.js';
export {
  rosTimeFromMs,
  secondsOf,
  header,
  poseMsg,
  poseFromMsg,
  transformMsg,
  imageMsg,
  cameraInfoMsg,
  intrinsicsFromCameraInfo,
  decodeColour,
  decodeDepth,
  type RosTime,
} from './ros/ros-messages.js';
export { connectRos, type RosLike } from './ros/roslib.js';
export { RosEnv, type RosEnvConnectOptions, type StampedObservation } from './client/ros-env.js';
export { parseRosEnvConfig, loadRosEnvConfig, type RosEnvConfig, type RosEnvConfigInput, type CameraConfig } from './client/ros-env-config.js';
export { TfBuffer } from './client/tf-buffer.js';
export { runOnRobot, formatRobotStep, type RunOnRobotOptions, type RobotStep, type RobotRunResult } from './client/run-on-robot.js';
export {
  Recorder,
  DEFAULT_RECORDING,
  type RecorderOptions,
  type RecorderStatus,
  type RecorderEvent,
  type RecorderState,
  type RecordingConfig,
  type StopOutcome,
} from './client/recorder.js';
export { advertiseRecordServices, describeStop, RECORD_SERVICES, type RecordServices } from './client/record-services.js';
export { SimRobot, type SimRobotOptions } from './sim-robot/sim-robot.js';
export { startSimBridge, type SimBridge, type SimBridgeOptions } from './sim-robot/sim-bridge.js';
export { createViewerHandler } from './sim-robot/viewer-assets.js';
