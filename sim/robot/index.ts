/** The simulated Franka Panda: kinematics, inverse kinematics, collision checking, motion planning and meshes. */
export {
  PANDA_JOINT_COUNT,
  PANDA_JOINT_LOWER_RAD,
  PANDA_JOINT_UPPER_RAD,
  PANDA_HOME_Q,
  PANDA_MAX_REACH_METRES,
  PANDA_TCP_OFFSET_METRES,
  PANDA_FINGER_MAX_METRES,
  forwardKinematics,
  toolJacobian,
  withinJointLimits,
  clampToJointLimits,
  type FkResult,
  type KinematicsOptions,
} from './panda-kinematics.js';
export { solveIk, type IkOptions, type IkResult, type IkFailureReason } from './ik.js';
export {
  RobotCollisionChecker,
  robotCollisions,
  boxObstacle,
  sphereObstacle,
  cylinderObstacle,
  obstaclesFromScene,
  type Obstacle,
  type HeldObject,
  type CollisionOptions,
  type CollisionPair,
} from './collision.js';
export { planToAction, type PlanOptions, type PlanResult, type PlanFailureReason } from './planner.js';
export { ROBOT_ARM_OBJECT_ID, ROBOT_GRIPPER_OBJECT_ID, createArmMeshes, updateArmMeshes, type ArmMeshes } from './arm-meshes.js';
