export * from './backend.js';
export * from './network/index.js';
export * from './rollout.js';
