export * from './bounds.js';
export * from './point-cloud.js';
export * from './backproject.js';
export * from './voxel-grid.js';
export * from './tokenizer.js';
export * from './action-codes.js';
export * from './augmentation.js';
