import type { NetworkConfig } from '../../agent/network/index.js';

/** Overrides of the `cpu` preset for a network small enough that its weights are a few kB and a test trains it in seconds. */
export const TINY_NETWORK: Partial<NetworkConfig> = {
  gridSize: 8,
  patchSize: 2,
  voxelFeatureDim: 4,
  voxelTokenDim: 12,
  proprioFeatureDim: 4,
  languageLength: 6,
  languageEmbedDim: 8,
  numLatents: 8,
  latentDim: 16,
  crossHeadDim: 8,
  selfAttentionLayers: 1,
  selfHeads: 2,
  selfHeadDim: 8,
  ffMult: 2,
  rotationBins: 8,
  headHidden: [16, 8],
};
