/**
 * The parameter names and shapes a network config implies, without allocating anything, so a
 * loader can check a checkpoint of the 100^3 paper preset in microseconds. This mirrors
 * `createNetwork` in ../network/model.ts line for line (same names, same order); the test
 * compares the two on the `cpu` preset and a tiny config, so drift fails a test.
 * (It belongs next to createNetwork; see the report that introduced it.)
 */
import { derivedSizes, GROUNDING_FEATURES, SURFACE_HEIGHT_CLASSES, validateConfig, type NetworkConfig } from '../network/index.js';

export function expectedParameterShapes(config: NetworkConfig): Map<string, number[]> {
  validateConfig(config);
  const c = config;
  const s = derivedSizes(c);
  const D = s.tokenDim;
  const shapes = new Map<string, number[]>();
  const add = (name: string, shape: number[]): void => {
    shapes.set(name, shape);
  };
  const linear = (name: string, fanIn: number, fanOut: number): void => {
    add(`${name}.w`, [fanIn, fanOut]);
    add(`${name}.b`, [fanOut]);
  };
  const layerNorm = (name: string, dim: number): void => {
    add(`${name}.g`, [dim]);
    add(`${name}.b`, [dim]);
  };
  const attention = (name: string, queryDim: number, contextDim: number, inner: number, outDim: number): void => {
    layerNorm(`${name}.norm_q`, queryDim);
    add(`${name}.wq`, [queryDim, inner]);
    add(`${name}.wk`, [contextDim, inner]);
    add(`${name}.wv`, [contextDim, inner]);
    add(`${name}.wo`, [inner, outDim]);
    add(`${name}.bo`, [outDim]);
  };
  const feedForward = (name: string, dim: number, mult: number): void => {
    layerNorm(`${name}.norm`, dim);
    linear(`${name}.in`, dim, 2 * mult * dim);
    linear(`${name}.out`, mult * dim, dim);
  };

  if (c.voxelFeatureDim > 0) linear('voxel.in', c.inputChannels, c.voxelFeatureDim);
  linear('voxel.patch', s.patchVolume * s.voxelChannels, c.voxelTokenDim);
  linear('proprio', c.proprioDim, c.proprioFeatureDim);
  add('language.embedding', [c.vocabSize, c.languageEmbedDim]);
  linear('language.proj', c.languageEmbedDim, D);
  add('position', [c.languageLength + s.numPatches, D]);
  add('latents', [c.numLatents, c.latentDim]);
  attention('encoder.cross', c.latentDim, D, c.crossHeads * c.crossHeadDim, c.latentDim);
  layerNorm('encoder.cross.norm_kv', D);
  feedForward('encoder.ff', c.latentDim, c.ffMult);
  for (let i = 0; i < c.selfAttentionLayers; i++) {
    attention(`layers.${i}.attn`, c.latentDim, c.latentDim, c.selfHeads * c.selfHeadDim, c.latentDim);
    feedForward(`layers.${i}.ff`, c.latentDim, c.ffMult);
  }
  attention('decoder.cross', D, c.latentDim, c.crossHeads * c.crossHeadDim, D);
  layerNorm('decoder.cross.norm_kv', c.latentDim);
  linear('decoder.shuffle', D, s.patchVolume);
  linear('decoder.skip', D, s.voxelChannels);
  if (c.axisLogits) linear('decoder.axes', D, 3 * c.patchSize);
  if (c.surfaceHeight) linear('decoder.height', s.headInputDim, SURFACE_HEIGHT_CLASSES);
  if (c.languageGrounding) {
    add('grounding.words', [c.vocabSize, GROUNDING_FEATURES]);
    add('grounding.bias', [GROUNDING_FEATURES]);
    add('grounding.token', [1, D]);
    add('grounding.mix', [2]);
  }
  linear('head.dense0', s.headDenseInputDim, c.headHidden[0]);
  linear('head.dense1', c.headHidden[0], c.headHidden[1]);
  linear('head.out', c.headHidden[1], s.outputLogits);
  if (c.levels > 1) add('level', [c.levels, D]);
  return shapes;
}
