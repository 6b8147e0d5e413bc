import { Euler, Quaternion } from 'three';
import {
  assertFiniteArray,
  assertFiniteNumber,
  canonicalQuaternion,
  invalidArgument,
  PeractError,
  type Action,
  type Quat,
} from '../core/index.js';
import { axisIndex, checkBounds, checkGridSize, PERACT_BOUNDS, PERACT_GRID_SIZE, voxelResolution, type SceneBounds } from './bounds.js';
import { voxelCentre } from './voxel-grid.js';

/** The discrete targets the network predicts for one action. */
export interface ActionCode {
  /** Voxel index (x, y, z) of the gripper position. */
  voxel: [number, number, number];
  /** Rotation bins for Euler x, y, z. */
  rotationBins: [number, number, number];
  /** 1 = open, 0 = closed. */
  gripperOpen: 0 | 1;
  /** 1 = ignore collisions (straight path), 0 = plan around obstacles. */
  ignoreCollisions: 0 | 1;
}

export interface ActionCodecOptions {
  bounds?: SceneBounds;
  size?: number;
  rotationResolutionDeg?: number;
}

/**
 * Action <-> discrete codes, as PerAct does it. Rotations use scipy's `as_euler('xyz')`
 * convention (extrinsic x, y, z: R = Rz Ry Rx, which is three.js's Euler order 'ZYX'), shifted by
 * +180 degrees and rounded (numpy's round-half-to-even) to the nearest multiple of the
 * resolution; bin 360/res wraps to 0. A bin's centre is `bin * res - 180` degrees.
 */
export class ActionCodec {
  readonly bounds: SceneBounds;
  readonly size: number;
  readonly rotationResolutionDeg: number;
  readonly rotationBins: number;

  constructor(options: ActionCodecOptions = {}) {
    this.bounds = checkBounds(options.bounds ?? PERACT_BOUNDS);
    this.size = checkGridSize(options.size ?? PERACT_GRID_SIZE);
    const res = options.rotationResolutionDeg ?? 5;
    assertFiniteNumber(res, 'rotationResolutionDeg');
    if (res <= 0 || !Number.isInteger(360 / res)) {
      throw invalidArgument('rotationResolutionDeg', `must divide 360 evenly, got ${res}`);
    }
    this.rotationResolutionDeg = res;
    this.rotationBins = 360 / res;
  }

  encode(action: Action): ActionCode {
    if (!action || typeof action !== 'object') throw invalidArgument('action', 'must be an Action');
    return {
      voxel: this.positionToVoxel(action.positionMetres),
      rotationBins: this.quaternionToBins(action.quaternion),
      gripperOpen: checkBool(action.gripperOpen, 'action.gripperOpen') ? 1 : 0,
      ignoreCollisions: checkBool(action.ignoreCollisions, 'action.ignoreCollisions') ? 1 : 0,
    };
  }

  decode(code: ActionCode): Action {
    this.checkCode(code);
    return {
      positionMetres: voxelCentre(code.voxel, this.bounds, this.size),
      quaternion: this.binsToQuaternion(code.rotationBins),
      gripperOpen: code.gripperOpen === 1,
      ignoreCollisions: code.ignoreCollisions === 1,
    };
  }

  positionToVoxel(position: ArrayLike<number>): [number, number, number] {
    assertFiniteArray(position, 3, 'action.positionMetres');
    const b = this.bounds;
    const res = voxelResolution(b, this.size);
    const idx: [number, number, number] = [0, 0, 0];
    for (let a = 0; a < 3; a++) {
      const i = axisIndex(position[a], b[a], b[a + 3], res[a], this.size);
      if (i < 0) {
        throw new PeractError('OUT_OF_BOUNDS', `${position[a]} m on axis ${'xyz'[a]} is outside the bounds [${b[a]}, ${b[a + 3]}]`, {
          field: `action.positionMetres[${a}]`,
        });
      }
      idx[a] = i;
    }
    return idx;
  }

  /** Flat index of a voxel in `[x][y][z]` order (the translation heatmap's layout). */
  flatIndex(voxel: readonly [number, number, number]): number {
    return (voxel[0] * this.size + voxel[1]) * this.size + voxel[2];
  }

  voxelFromFlat(flat: number): [number, number, number] {
    const v = this.size;
    if (!Number.isInteger(flat) || flat < 0 || flat >= v * v * v) throw invalidArgument('flat', `must be in [0, ${v ** 3}), got ${flat}`);
    return [Math.floor(flat / (v * v)), Math.floor(flat / v) % v, flat % v];
  }

  quaternionToBins(quaternion: ArrayLike<number>): [number, number, number] {
    const q = canonicalQuaternion(quaternion, 'action.quaternion');
    const e = new Euler().setFromQuaternion(new Quaternion(q[0], q[1], q[2], q[3]), 'ZYX');
    const res = this.rotationResolutionDeg;
    const bins = [e.x, e.y, e.z].map((rad) => {
      const shiftedDeg = (rad * 180) / Math.PI + 180;
      const bin = roundHalfEven(shiftedDeg / res);
      return bin >= this.rotationBins ? bin - this.rotationBins : bin;
    });
    return bins as [number, number, number];
  }

  binsToQuaternion(bins: readonly [number, number, number]): Quat {
    const rad = bins.map((b) => ((b * this.rotationResolutionDeg - 180) * Math.PI) / 180);
    const q = new Quaternion().setFromEuler(new Euler(rad[0], rad[1], rad[2], 'ZYX'));
    return canonicalQuaternion([q.x, q.y, q.z, q.w]);
  }

  private checkCode(code: ActionCode): void {
    if (!code || typeof code !== 'object') throw invalidArgument('code', 'must be an ActionCode');
    for (let a = 0; a < 3; a++) {
      const i = code.voxel?.[a];
      if (!Number.isInteger(i) || i < 0 || i >= this.size) throw invalidArgument(`code.voxel[${a}]`, `must be an integer in [0, ${this.size}), got ${i}`);
      const r = code.rotationBins?.[a];
      if (!Number.isInteger(r) || r < 0 || r >= this.rotationBins) {
        throw invalidArgument(`code.rotationBins[${a}]`, `must be an integer in [0, ${this.rotationBins}), got ${r}`);
      }
    }
    if (code.gripperOpen !== 0 && code.gripperOpen !== 1) throw invalidArgument('code.gripperOpen', 'must be 0 or 1');
    if (code.ignoreCollisions !== 0 && code.ignoreCollisions !== 1) throw invalidArgument('code.ignoreCollisions', 'must be 0 or 1');
  }
}

/** numpy's `np.around`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function checkBool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgument(field, `must be a boolean, got ${typeof value}`);
  return value;
}
