/** The simulator's physics: a MuJoCo world of a scene with a free-floating Panda gripper. */
export { createPhysicsWorld } from './create-world.js';
export { FINGER_MAX_OPENING_METRES, GRIPPER_BODY_NAMES, type ContactPair, type PhysicsOptions, type PhysicsWorld } from './types.js';
