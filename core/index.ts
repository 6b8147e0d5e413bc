export * from './types.js';
export * from './errors.js';
export * from './rng.js';
export * from './pose.js';
export * from './validate.js';
export * from './files.js';
export * from './policy-interface.js';
export * from './seeds.js';
