/** The simulator: an Env over MuJoCo physics, a rasterizer, a Panda and RLBench-style tasks, and demonstrations from its experts. */
export { SimEnv, type SimEnvOptions, type RecordedFrame } from './sim-env.js';
export { TASKS, TASK_NAMES, getTask, TABLE_TOP_Z, type TaskDefinition, type TaskInstance, type TaskWorldView, type ExpertStep } from './tasks/index.js';
export {
  DEMO_SEED_BLOCK,
  MAX_DEMO_SEED,
  generateDemos,
  recordDemo,
  runExpert,
  type GenerateDemosOptions,
  type DemoProgress,
  type DemoSummary,
  type TaskDemoSummary,
  type RecordDemoOptions,
  type RecordedDemo,
  type ExpertRun,
} from './demos.js';
export type { SceneSpec, BodySpec, GeomSpec, JointSpec, Shape, UnitRgb } from './scene.js';
export { RLBENCH_COLOURS } from './colours.js';
export { createPhysicsWorld, FINGER_MAX_OPENING_METRES, GRIPPER_BODY_NAMES, type PhysicsWorld, type PhysicsOptions, type ContactPair } from './physics/index.js';
export { CAMERA_NAMES, CameraRig, createDefaultCameraRig, renderCameras, buildSceneGraph, applyPoses, type DefaultRigOptions } from './render/index.js';
export {
  PANDA_HOME_Q,
  PANDA_JOINT_LOWER_RAD,
  PANDA_JOINT_UPPER_RAD,
  ROBOT_ARM_OBJECT_ID,
  ROBOT_GRIPPER_OBJECT_ID,
  forwardKinematics,
  solveIk,
  planToAction,
  createArmMeshes,
  updateArmMeshes,
  type ArmMeshes,
} from './robot/index.js';
