import { Matrix4, Quaternion, Vector3 } from 'three';
import type { Pose, Quat, Rng, Vec3 } from '../../core/index.js';
import type { BodySpec, UnitRgb } from '../scene.js';

/**
 * Building blocks for task scenes. World frame: robot base at the origin, the table top at z = 0,
 * the workspace in front of the robot along +x.
 */

export const TABLE_TOP_Z = 0;
/** Where task objects are placed: x, y ranges in metres. */
export const WORKSPACE = { xMin: 0.3, xMax: 0.62, yMin: -0.28, yMax: 0.28 } as const;
export const BLOCK_EDGE_METRES = 0.045;

export function pose(x: number, y: number, z: number, yawRad = 0): Pose {
  return { positionMetres: [x, y, z], quaternion: yawQuat(yawRad) };
}

export function yawQuat(yawRad: number): Quat {
  const q = new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), yawRad);
  return [q.x, q.y, q.z, q.w];
}

/**
 * A gripper pointing straight down (tool +z = world -z) with its fingers' closing direction
 * (tool y) turned by `yawRad` about world z. The gripper is symmetric under a half turn, so the
 * yaw is folded into [-pi/2, pi/2).
 */
export function topDownQuat(yawRad: number): Quat {
  const folded = foldYaw(yawRad, Math.PI);
  const q = new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), folded).multiply(new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), Math.PI));
  const c: Quat = [q.x, q.y, q.z, q.w];
  return c[3] < 0 ? [-c[0], -c[1], -c[2], -c[3]] : c;
}

/** A gripper given by where its tool axes point in the world (columns of its rotation). */
export function quatFromToolAxes(toolX: Vec3, toolY: Vec3, toolZ: Vec3): Quat {
  const m = new Matrix4().makeBasis(new Vector3(...toolX), new Vector3(...toolY), new Vector3(...toolZ));
  const q = new Quaternion().setFromRotationMatrix(m);
  return q.w < 0 ? [-q.x, -q.y, -q.z, -q.w] : [q.x, q.y, q.z, q.w];
}

/** Folds an angle into [-period/2, period/2). */
export function foldYaw(rad: number, period: number): number {
  return rad - period * Math.floor(rad / period + 0.5);
}

export function table(): BodySpec {
  return {
    name: 'table',
    objectId: 1,
    motion: 'fixed',
    pose: pose(0.6, 0, TABLE_TOP_Z - 0.025),
    geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.45, 0.6, 0.025] }, colour: [0.62, 0.5, 0.38], friction: 0.8 }],
  };
}

export function block(name: string, objectId: number, colour: UnitRgb, x: number, y: number, yawRad: number, edge = BLOCK_EDGE_METRES, z = TABLE_TOP_Z): BodySpec {
  const h = edge / 2;
  return {
    name,
    objectId,
    motion: 'free',
    graspable: true,
    massKg: 0.08,
    pose: pose(x, y, z + h, yawRad),
    geoms: [{ shape: { kind: 'box', halfExtentsMetres: [h, h, h] }, colour, friction: 1.0 }],
  };
}

/** A flat coloured square on the table; visual only (objects slide over it). */
export function targetArea(name: string, objectId: number, colour: UnitRgb, x: number, y: number, halfSizeMetres: number): BodySpec {
  return {
    name,
    objectId,
    motion: 'fixed',
    pose: pose(x, y, TABLE_TOP_Z + 0.0006),
    geoms: [{ shape: { kind: 'box', halfExtentsMetres: [halfSizeMetres, halfSizeMetres, 0.0005] }, colour, collides: false }],
  };
}

/** A visual-only sphere hanging in the air (reach_target). */
export function targetSphere(name: string, objectId: number, colour: UnitRgb, centre: Vec3, radiusMetres: number): BodySpec {
  return {
    name,
    objectId,
    motion: 'fixed',
    pose: { positionMetres: centre, quaternion: [0, 0, 0, 1] },
    geoms: [{ shape: { kind: 'sphere', radiusMetres }, colour, collides: false }],
  };
}

/**
 * Draws `count` positions in the workspace at least `minSpacingMetres` apart (rejection
 * sampling; deterministic through `rng`).
 */
export function samplePositions(
  rng: Rng,
  count: number,
  minSpacingMetres: number,
  region: { xMin: number; xMax: number; yMin: number; yMax: number } = WORKSPACE,
): [number, number][] {
  for (let restart = 0; restart < 200; restart++) {
    const out: [number, number][] = [];
    for (let tries = 0; tries < 500 && out.length < count; tries++) {
      const p: [number, number] = [rng.uniform(region.xMin, region.xMax), rng.uniform(region.yMin, region.yMax)];
      if (out.every((o) => Math.hypot(o[0] - p[0], o[1] - p[1]) >= minSpacingMetres)) out.push(p);
    }
    if (out.length === count) return out;
  }
  throw new RangeError(`cannot place ${count} objects ${minSpacingMetres} m apart in the region`);
}

/** `count` distinct colour indices into RLBENCH_COLOURS, the first one fixed to `first`. */
export function distinctColours(rng: Rng, count: number, first: number, total: number): number[] {
  const rest = rng.shuffle(Array.from({ length: total }, (_, i) => i).filter((i) => i !== first));
  return [first, ...rest.slice(0, count - 1)];
}
