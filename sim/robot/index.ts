export * from './panda-kinematics.js';
export * from './ik.js';
export * from './collision.js';
export * from './planner.js';
export * from './arm-meshes.js';
