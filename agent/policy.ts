import * as tf from '@tensorflow/tfjs';
import type { ActOptions, Observation, Policy, PolicyOutput, VoxelScore } from '../core/index.js';
import { invalidArgument } from '../core/index.js';
import { voxelCentre } from '../perception/index.js';
import { forward, type PeractNetwork } from './network/index.js';
import { PROPRIO_DIM, SampleEncoder, type SampleInput } from './samples.js';
import type { AgentSpec } from './spec.js';

export interface PeractPolicyOptions {
  /** How many of the best translation voxels to report (for viewers). Default 10. */
  topK?: number;
  /**
   * Position = the probability-weighted mean of the voxel centres in the 3x3x3 window around the
   * best voxel (sub-voxel precision) instead of the best voxel's centre. Default true.
   */
  subVoxel?: boolean;
}

/**
 * The Perceiver-Actor as a Policy: voxelize the observation (perception/), run the network, take
 * the best voxel, rotation bins, gripper and collision bits, decode to an Action.
 */
export class PeractPolicy implements Policy {
  readonly encoder: SampleEncoder;
  private readonly topK: number;
  private readonly subVoxel: boolean;

  constructor(
    readonly net: PeractNetwork,
    readonly spec: AgentSpec,
    options: PeractPolicyOptions = {},
  ) {
    this.encoder = new SampleEncoder(spec);
    this.topK = options.topK ?? 10;
    this.subVoxel = options.subVoxel ?? true;
  }

  async act(observation: Observation, goal: string, options: ActOptions = {}): Promise<PolicyOutput> {
    return this.actOnInput(this.encoder.encode(observation, goal), options);
  }

  /** The network's choice for an already encoded input. */
  async actOnInput(input: SampleInput, options: ActOptions = {}): Promise<PolicyOutput> {
    const codec = this.encoder.codec;
    const avoid = (options.avoidPositionsMetres ?? []).map((p, i) => {
      if (!Array.isArray(p) || p.length !== 3 || !p.every(Number.isFinite)) throw invalidArgument(`options.avoidPositionsMetres[${i}]`, 'must be [x, y, z] in metres');
      return codec.positionToVoxel(p);
    });
    // Enough candidates to step around every avoided voxel's 3x3x3 neighbourhood.
    const k = Math.max(this.topK, 27 * avoid.length + 1);
    const v = this.spec.gridSize;
    const picked = tf.tidy(() => {
      const out = forward(this.net, {
        voxels: tf.tensor(input.voxels, [1, v, v, v, input.voxels.length / v ** 3]),
        surfaceHeights: tf.tensor(input.surfaceHeights, [1, v ** 3], 'int32'),
        proprio: tf.tensor(input.proprio, [1, PROPRIO_DIM]),
        language: tf.tensor(input.language, [1, input.language.length], 'int32'),
      });
      // Reduce on the tensor side: reading the whole heatmap back costs more than the network.
      const probs = tf.reshape(tf.softmax(out.translation), [v ** 3]);
      const top = tf.topk(probs, k);
      return [top.indices, top.values, tf.argMax(out.rotation, 2), tf.argMax(out.gripper, 1), tf.argMax(out.collision, 1), probs];
    });
    const heatmap = picked.pop() as tf.Tensor1D;
    // data(), not dataSync(): webgpu cannot read back synchronously in Node.
    const [indices, values, rotation, gripper, collision] = await Promise.all(picked.map((t) => t.data()));
    picked.forEach((t) => t.dispose());
    const near = (a: readonly number[], b: readonly number[]): boolean => a.every((x, j) => Math.abs(x - b[j]) <= 1);
    const ranked = Array.from(indices, (flat, i) => ({ voxel: codec.voxelFromFlat(flat), score: values[i] }));
    const allowed = ranked.filter((c) => !avoid.some((bad) => near(c.voxel, bad)));
    if (allowed.length === 0) allowed.push(ranked[0]);
    const topVoxels: VoxelScore[] = allowed.slice(0, this.topK).map((c) => ({ positionMetres: voxelCentre(c.voxel, this.spec.bounds, v), score: c.score }));
    const action = codec.decode({
      voxel: allowed[0].voxel,
      rotationBins: [rotation[0], rotation[1], rotation[2]],
      gripperOpen: gripper[0] === 1 ? 1 : 0,
      ignoreCollisions: collision[0] === 1 ? 1 : 0,
    });
    try {
      if (this.subVoxel) action.positionMetres = await this.windowMean(heatmap, allowed[0].voxel);
    } finally {
      heatmap.dispose();
    }
    return { action, topVoxels };
  }

  /** Probability-weighted mean of the voxel centres in the 3x3x3 window (inside the grid) around `voxel`. */
  private async windowMean(heatmap: tf.Tensor1D, voxel: readonly [number, number, number]): Promise<[number, number, number]> {
    const v = this.spec.gridSize;
    const cells: [number, number, number][] = [];
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (let dz = -1; dz <= 1; dz++) {
          const c: [number, number, number] = [voxel[0] + dx, voxel[1] + dy, voxel[2] + dz];
          if (c.every((i) => i >= 0 && i < v)) cells.push(c);
        }
      }
    }
    const gathered = tf.tidy(() => tf.gather(heatmap, tf.tensor1d(cells.map((c) => this.encoder.codec.flatIndex(c)), 'int32')));
    const weights = (await gathered.data()) as Float32Array;
    gathered.dispose();
    const sum = weights.reduce((a, b) => a + b, 0);
    const mean: [number, number, number] = [0, 0, 0];
    cells.forEach((c, i) => {
      const centre = voxelCentre(c, this.spec.bounds, v);
      for (let a = 0; a < 3; a++) mean[a] += (weights[i] / sum) * centre[a];
    });
    return mean;
  }
}
