import type { Action, CameraFrame, Observation, Rng } from '../core/index.js';
import {
  ActionCodec,
  augmentSe3,
  backProject,
  surfaceHeights,
  tokenizeAs,
  Voxelizer,
  type ActionCode,
  type PointCloud,
  type Se3AugmentationOptions,
} from '../perception/index.js';
import { SURFACE_HEIGHT_MAX } from './network/index.js';
import type { AgentSpec } from './spec.js';

/** One network input in plain typed arrays (batched by the caller). */
export interface SampleInput {
  /** gridSize^3 x 10, [x][y][z][channel]. */
  voxels: Float32Array;
  /** gridSize^3 surface-height classes, [x][y][z] (perception/surface-height.ts). */
  surfaceHeights: Int32Array;
  /** [gripper_open, left_finger, right_finger, t]. */
  proprio: Float32Array;
  language: Int32Array;
}

/** Flat targets of one sample, as the loss wants them. */
export interface SampleTargets {
  translation: number;
  rotation: [number, number, number];
  gripper: number;
  collision: number;
}

export const PROPRIO_DIM = 4;

/**
 * Turns observations into network inputs. Holds the voxelizer and point buffers so a stream of
 * observations allocates nothing per call but the returned arrays.
 */
export class SampleEncoder {
  readonly spec: AgentSpec;
  readonly codec: ActionCodec;
  private readonly voxelizer: Voxelizer;
  private cloud: PointCloud | undefined;
  private augmented: PointCloud | undefined;

  constructor(spec: AgentSpec) {
    this.spec = spec;
    this.codec = new ActionCodec({ bounds: spec.bounds, size: spec.gridSize, rotationResolutionDeg: spec.rotationResolutionDeg });
    this.voxelizer = new Voxelizer({ bounds: spec.bounds, size: spec.gridSize });
  }

  proprio(observation: Observation): Float32Array {
    const t = (1 - Math.min(observation.step, this.spec.episodeLength - 1) / (this.spec.episodeLength - 1)) * 2 - 1;
    return Float32Array.from([observation.gripperOpen ? 1 : 0, observation.fingerWidthsMetres[0], observation.fingerWidthsMetres[1], t]);
  }

  language(goal: string): Int32Array {
    return tokenizeAs(this.spec.tokenizer, goal, this.spec.tokenLength).ids;
  }

  /** The input the policy sees for an observation (no augmentation). */
  encode(observation: Observation, goal: string): SampleInput {
    const voxels = this.voxelize(observation.cameras);
    return { voxels, surfaceHeights: surfaceHeights(voxels, this.spec.gridSize, SURFACE_HEIGHT_MAX), proprio: this.proprio(observation), language: this.language(goal) };
  }

  /**
   * A training sample: observation and its target keyframe action, optionally with PerAct's
   * SE(3) augmentation applied to the points and the action together.
   */
  encodeTraining(
    observation: Observation,
    goal: string,
    target: Action,
    augmentation?: { rng: Rng; options?: Se3AugmentationOptions },
  ): { input: SampleInput; targets: SampleTargets; action: Action } {
    this.cloud = backProject(observation.cameras, { bounds: this.spec.bounds, out: this.cloud });
    let cloud = this.cloud;
    let action = target;
    if (augmentation) {
      const aug = augmentSe3(cloud, target, augmentation.rng, { bounds: this.spec.bounds, ...augmentation.options }, this.augmented);
      this.augmented = aug.cloud;
      cloud = aug.cloud;
      action = aug.action;
    }
    const voxels = this.voxelizer.voxelize(cloud).data.slice();
    return {
      input: { voxels, surfaceHeights: surfaceHeights(voxels, this.spec.gridSize, SURFACE_HEIGHT_MAX), proprio: this.proprio(observation), language: this.language(goal) },
      targets: this.targets(this.codec.encode(action)),
      action,
    };
  }

  targets(code: ActionCode): SampleTargets {
    return { translation: this.codec.flatIndex(code.voxel), rotation: code.rotationBins, gripper: code.gripperOpen, collision: code.ignoreCollisions };
  }

  private voxelize(cameras: CameraFrame[]): Float32Array {
    this.cloud = backProject(cameras, { bounds: this.spec.bounds, out: this.cloud });
    return this.voxelizer.voxelize(this.cloud).data.slice();
  }
}

/** Concatenates samples into batch arrays. */
export function stackSamples(inputs: SampleInput[], targets: SampleTargets[]) {
  const n = inputs.length;
  const vox = inputs[0].voxels.length;
  const cells = inputs[0].surfaceHeights.length;
  const lang = inputs[0].language.length;
  const out = {
    voxels: new Float32Array(n * vox),
    surfaceHeights: new Int32Array(n * cells),
    proprio: new Float32Array(n * PROPRIO_DIM),
    language: new Int32Array(n * lang),
    translation: new Int32Array(n),
    rotation: new Int32Array(n * 3),
    gripper: new Int32Array(n),
    collision: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    out.voxels.set(inputs[i].voxels, i * vox);
    out.surfaceHeights.set(inputs[i].surfaceHeights, i * cells);
    out.proprio.set(inputs[i].proprio, i * PROPRIO_DIM);
    out.language.set(inputs[i].language, i * lang);
    out.translation[i] = targets[i].translation;
    out.rotation.set(targets[i].rotation, i * 3);
    out.gripper[i] = targets[i].gripper;
    out.collision[i] = targets[i].collision;
  }
  return out;
}

export type BatchArrays = ReturnType<typeof stackSamples>;

