/**
 * The names `peract serve`'s robot uses on ROS (topics, services, tf frames, joints, and the
 * cameras and tasks it offers): the defaults of RosEnv's configuration and what the simulator's
 * robot publishes. They live here, beside roslib, so that the client side of the bridge needs
 * no simulator code (a test pins the camera and task names to the simulator's).
 */

export const WORLD_FRAME = 'world';

export const SIM_TOPICS = {
  colour: (camera: string) => `/${camera}/color/image_raw`,
  depth: (camera: string) => `/${camera}/depth/image_raw`,
  cameraInfo: (camera: string) => `/${camera}/camera_info`,
  opticalFrame: (camera: string) => `${camera}_optical_frame`,
  tf: '/tf',
  tfStatic: '/tf_static',
  jointStates: '/joint_states',
  gripperState: '/peract/gripper_state',
  goal: '/peract/goal',
  scene: '/peract/scene',
  policyOutput: '/peract/policy_output',
  command: '/peract/command',
  stepResult: '/peract/step_result',
  /** Each action as the robot starts executing it (from any source), so recorders know its flags. */
  executed: '/peract/executed',
} as const;

export const SIM_SERVICES = {
  reset: '/peract/reset',
  execute: '/peract/execute',
  success: '/peract/success',
  act: '/peract/act',
  /** Served by BridgeServer itself (with /rosapi/services, topic_type, service_type, ...). */
  topics: '/rosapi/topics',
} as const;

/** tf frame names of the arm's FK frames (index = FK frame), as the Panda's URDF names them. */
export const PANDA_LINK_FRAMES = ['panda_link0', 'panda_link1', 'panda_link2', 'panda_link3', 'panda_link4', 'panda_link5', 'panda_link6', 'panda_link7', 'panda_link8', 'panda_hand', 'panda_hand_tcp'];
export const TOOL_FRAME = 'panda_hand_tcp';
export const PANDA_JOINT_NAMES = ['panda_joint1', 'panda_joint2', 'panda_joint3', 'panda_joint4', 'panda_joint5', 'panda_joint6', 'panda_joint7', 'panda_finger_joint1', 'panda_finger_joint2'];

/** The cameras `peract serve` publishes (the simulator's RLBench-style rig). */
export const SERVED_CAMERA_NAMES: readonly string[] = ['front', 'left_shoulder', 'right_shoulder', 'wrist'];

/** The tasks `peract serve`'s reset service knows (the simulator's tasks). */
export const SERVED_TASK_NAMES: readonly string[] = [
  'reach_target',
  'pick_and_lift',
  'push_buttons',
  'slide_block_to_color_target',
  'open_drawer',
  'put_item_in_drawer',
  'stack_blocks',
  'put_block_in_bowl',
  'close_jar',
  'turn_tap',
];
