import * as tf from '@tensorflow/tfjs-core';
import type { ActOptions, Observation, Policy, PolicyOutput, VoxelScore } from '../../core/index.js';
import { invalidArgument } from '../../core/index.js';
import { backProject, voxelCentre, voxelResolution, type ActionCodec } from '../../perception/index.js';
import { forward, type PeractNetwork } from '../network/index.js';
import { PROPRIO_DIM, SampleEncoder, type SampleInput } from '../encoding/samples.js';
import type { AgentSpec } from '../encoding/spec.js';

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
    if (this.encoder.levels === 1) return this.actOnInput(this.encoder.encode(observation, goal), options);
    // Coarse-to-fine, pass by pass: the coarse grid over the bounds picks a position, the fine
    // grid over a cube centred on it (voxelized afresh from the same fused cloud) picks the final
    // position, the rotation, the gripper and the collision flag. A cloud of this call's own:
    // the encoder's buffer is shared with other calls.
    const cloud = backProject(observation.cameras, { bounds: this.encoder.cloudBounds() });
    const coarse = await this.pass(this.encoder.inputFromCloud(cloud, observation, goal, 0), this.encoder.codec, []);
    const fineCodec = this.encoder.fineCodec(coarse.action.positionMetres);
    const avoid = this.checkAvoid(options);
    const fine = await this.pass(this.encoder.inputFromCloud(cloud, observation, goal, 1, fineCodec.bounds), fineCodec, avoid, voxelResolution(this.spec.bounds, this.spec.gridSize));
    return { action: fine.action, topVoxels: fine.topVoxels };
  }

  /** The network's choice for an already encoded single-level input. */
  async actOnInput(input: SampleInput, options: ActOptions = {}): Promise<PolicyOutput> {
    if (this.encoder.levels !== 1) throw invalidArgument('input', 'a coarse-to-fine policy acts on observations (act), not on one encoded input');
    return this.pass(input, this.encoder.codec, this.checkAvoid(options));
  }

  private checkAvoid(options: ActOptions): [number, number, number][] {
    return (options.avoidPositionsMetres ?? []).map((p, i) => {
      if (!Array.isArray(p) || p.length !== 3 || !p.every(Number.isFinite)) throw invalidArgument(`options.avoidPositionsMetres[${i}]`, 'must be [x, y, z] in metres');
      return [p[0], p[1], p[2]];
    });
  }

  /**
   * One forward pass over `input` (voxelized over `codec`'s bounds): the best voxel not within
   * `avoidRadiusMetres` per axis of an avoided position (default: the neighbouring voxels of this
   * grid), the rotation bins, gripper and collision bits.
   */
  private async pass(input: SampleInput, codec: ActionCodec, avoid: [number, number, number][], avoidRadiusMetres?: readonly number[]): Promise<PolicyOutput> {
    const v = this.spec.gridSize;
    const res = voxelResolution(codec.bounds, v);
    const radius = avoidRadiusMetres ?? res;
    // Enough candidates to step around every avoided neighbourhood.
    const perAvoided = radius.reduce((n, r, a) => n * (2 * Math.ceil(r / res[a]) + 1), 1);
    const k = Math.min(v ** 3, Math.max(this.topK, perAvoided * avoid.length + 1));
    const picked = tf.tidy(() => {
      const out = forward(this.net, {
        voxels: tf.tensor(input.voxels, [1, v, v, v, input.voxels.length / v ** 3]),
        surfaceHeights: tf.tensor(input.surfaceHeights, [1, v ** 3], 'int32'),
        proprio: tf.tensor(input.proprio, [1, PROPRIO_DIM]),
        language: tf.tensor(input.language, [1, input.language.length], 'int32'),
        ...(this.net.config.levels > 1 ? { level: tf.tensor1d([input.level], 'int32') } : {}),
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
    const ranked = Array.from(indices, (flat, i) => {
      const voxel = codec.voxelFromFlat(flat);
      return { voxel, centre: voxelCentre(voxel, codec.bounds, v), score: values[i] };
    });
    const tooClose = (c: readonly number[]): boolean => avoid.some((bad) => bad.every((x, a) => Math.abs(c[a] - x) <= radius[a] + 1e-9));
    const allowed = ranked.filter((c) => !tooClose(c.centre));
    if (allowed.length === 0) allowed.push(ranked[0]);
    const topVoxels: VoxelScore[] = allowed.slice(0, this.topK).map((c) => ({ positionMetres: c.centre, score: c.score }));
    const action = codec.decode({
      voxel: allowed[0].voxel,
      rotationBins: [rotation[0], rotation[1], rotation[2]],
      gripperOpen: gripper[0] === 1 ? 1 : 0,
      ignoreCollisions: collision[0] === 1 ? 1 : 0,
    });
    try {
      if (this.subVoxel) action.positionMetres = await this.windowMean(heatmap, allowed[0].voxel, codec);
    } finally {
      heatmap.dispose();
    }
    return { action, topVoxels };
  }

  /** Probability-weighted mean of the voxel centres in the 3x3x3 window (inside the grid) around `voxel`. */
  private async windowMean(heatmap: tf.Tensor1D, voxel: readonly [number, number, number], codec: ActionCodec): Promise<[number, number, number]> {
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
    const gathered = tf.tidy(() => tf.gather(heatmap, tf.tensor1d(cells.map((c) => codec.flatIndex(c)), 'int32')));
    const weights = (await gathered.data()) as Float32Array;
    gathered.dispose();
    const sum = weights.reduce((a, b) => a + b, 0);
    const mean: [number, number, number] = [0, 0, 0];
    cells.forEach((c, i) => {
      const centre = voxelCentre(c, codec.bounds, v);
      for (let a = 0; a < 3; a++) mean[a] += (weights[i] / sum) * centre[a];
    });
    return mean;
  }
}
