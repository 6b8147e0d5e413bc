export * from './scene.js';
export * from './colours.js';
export * from './physics/index.js';
export * from './render/index.js';
export * from './robot/index.js';
export * from './tasks/index.js';
export * from './sim-env.js';
export * from './demos.js';
