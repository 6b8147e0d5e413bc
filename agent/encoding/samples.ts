import type { Action, CameraFrame, Observation, Rng } from '../../core/index.js';
import {
  ActionCodec,
  augmentSe3,
  backProject,
  cubeBounds,
  surfaceHeights,
  addedWordIds,
  tokenizeAs,
  Voxelizer,
  type AddedWordIds,
  type ActionCode,
  type PointCloud,
  type SceneBounds,
  type Se3AugmentationOptions,
} from '../../perception/index.js';
import { SURFACE_HEIGHT_MAX } from '../network/index.js';
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
  /** Level of the coarse-to-fine grid (0: the spec's bounds; 1: the fine cube). */
  level: number;
}

/** Flat targets of one sample, as the loss wants them. */
export interface SampleTargets {
  translation: number;
  rotation: [number, number, number];
  gripper: number;
  collision: number;
  /** Weight of the rotation, gripper and collision losses (0 on the coarse level of a coarse-to-fine agent). */
  headWeight: number;
}

/** One training item: an input at one level and its targets. */
export interface TrainingItem {
  input: SampleInput;
  targets: SampleTargets;
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
  private readonly addedWords: AddedWordIds | undefined;

  constructor(spec: AgentSpec) {
    this.spec = spec;
    this.addedWords = spec.addedWords ? addedWordIds(spec.addedWords) : undefined;
    this.codec = new ActionCodec({ bounds: spec.bounds, size: spec.gridSize, rotationResolutionDeg: spec.rotationResolutionDeg });
    this.voxelizer = new Voxelizer({ bounds: spec.bounds, size: spec.gridSize });
  }

  proprio(observation: Observation): Float32Array {
    const t = (1 - Math.min(observation.step, this.spec.episodeLength - 1) / (this.spec.episodeLength - 1)) * 2 - 1;
    return Float32Array.from([observation.gripperOpen ? 1 : 0, observation.fingerWidthsMetres[0], observation.fingerWidthsMetres[1], t]);
  }

  language(goal: string): Int32Array {
    return tokenizeAs(this.spec.tokenizer, goal, this.spec.tokenLength, this.addedWords).ids;
  }

  /** Whether this agent is coarse-to-fine (two levels). */
  get levels(): number {
    return this.spec.fineCubeMetres > 0 ? 2 : 1;
  }

  /** The codec of the fine level's cube centred on `centreMetres` (same grid size and rotation bins). */
  fineCodec(centreMetres: readonly number[]): ActionCodec {
    return new ActionCodec({ bounds: cubeBounds(centreMetres, this.spec.fineCubeMetres), size: this.spec.gridSize, rotationResolutionDeg: this.spec.rotationResolutionDeg });
  }

  /**
   * The fused point cloud of an observation, kept in this encoder's buffer (valid until the
   * next call). A coarse-to-fine agent keeps points up to half a fine cube beyond the bounds, so
   * a cube at the edge of the workspace still sees what is there.
   */
  pointCloud(cameras: CameraFrame[]): PointCloud {
    this.cloud = backProject(cameras, { bounds: this.cloudBounds(), out: this.cloud });
    return this.cloud;
  }

  /** The network input of `cloud` voxelized over `bounds` (default: the spec's) at `level`. */
  inputFromCloud(cloud: PointCloud, observation: Observation, goal: string, level = 0, bounds?: SceneBounds): SampleInput {
    const voxels = this.voxelizer.voxelize(cloud, bounds).data.slice();
    return { voxels, surfaceHeights: surfaceHeights(voxels, this.spec.gridSize, SURFACE_HEIGHT_MAX), proprio: this.proprio(observation), language: this.language(goal), level };
  }

  /** The input the policy sees first for an observation (level 0, no augmentation). */
  encode(observation: Observation, goal: string): SampleInput {
    return this.inputFromCloud(this.pointCloud(observation.cameras), observation, goal);
  }

  /**
   * Training items for an observation and its target keyframe action, optionally with PerAct's
   * SE(3) augmentation applied to the points and the action together. One item for a
   * single-level agent; two for a coarse-to-fine one: the coarse grid over the bounds (its
   * rotation, gripper and collision losses weigh 0), and the fine grid over a cube centred on the
   * target position plus a uniform offset of up to `fineJitterMetres` per axis (the fine level
   * learns to correct a coarse choice that is off by that much).
   */
  encodeTraining(
    observation: Observation,
    goal: string,
    target: Action,
    augmentation?: { rng: Rng; options?: Se3AugmentationOptions },
    fine?: { rng: Rng; jitterMetres: number },
  ): { items: TrainingItem[]; action: Action } {
    let cloud = this.pointCloud(observation.cameras);
    let action = target;
    if (augmentation) {
      const aug = augmentSe3(cloud, target, augmentation.rng, { bounds: this.spec.bounds, ...augmentation.options }, this.augmented);
      this.augmented = aug.cloud;
      cloud = aug.cloud;
      action = aug.action;
    }
    const code = this.codec.encode(action);
    const coarse: TrainingItem = { input: this.inputFromCloud(cloud, observation, goal, 0), targets: this.targets(code, this.codec, this.levels === 1 ? 1 : 0) };
    if (this.levels === 1) return { items: [coarse], action };
    const jitter = fine?.jitterMetres ?? 0;
    const centre = action.positionMetres.map((p) => p + (fine && jitter > 0 ? fine.rng.uniform(-jitter, jitter) : 0));
    const fineCodec = this.fineCodec(centre);
    const fineItem: TrainingItem = {
      input: this.inputFromCloud(cloud, observation, goal, 1, fineCodec.bounds),
      targets: this.targets(fineCodec.encode(action), fineCodec, 1),
    };
    return { items: [coarse, fineItem], action };
  }

  targets(code: ActionCode, codec: ActionCodec = this.codec, headWeight = 1): SampleTargets {
    return { translation: codec.flatIndex(code.voxel), rotation: code.rotationBins, gripper: code.gripperOpen, collision: code.ignoreCollisions, headWeight };
  }

  /** The bounds of the fused cloud: the spec's, plus half a fine cube on every side for a coarse-to-fine agent. */
  cloudBounds(): SceneBounds {
    const m = this.spec.fineCubeMetres / 2;
    const b = this.spec.bounds;
    return m > 0 ? [b[0] - m, b[1] - m, b[2] - m, b[3] + m, b[4] + m, b[5] + m] : b;
  }
}

/** Concatenates items into batch arrays. */
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
    level: new Int32Array(n),
    headWeight: new Float32Array(n),
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
    out.level[i] = inputs[i].level;
    out.headWeight[i] = targets[i].headWeight;
    out.translation[i] = targets[i].translation;
    out.rotation.set(targets[i].rotation, i * 3);
    out.gripper[i] = targets[i].gripper;
    out.collision[i] = targets[i].collision;
  }
  return out;
}

export type BatchArrays = ReturnType<typeof stackSamples>;

