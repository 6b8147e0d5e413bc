import { PeractError, assertFiniteArray, assertFiniteNumber, invalidArgument, type Pose, type Vec3 } from '../../core/index.js';
import { assertPositiveVec, obstacleBoundingRadius, type Obstacle } from './obstacles.js';
import {
  FRAME_COUNT,
  FRAME_HAND,
  FRAME_TOOL,
  PANDA_FINGER_MAX_METRES,
  PANDA_TCP_OFFSET_METRES,
  computeFrames,
  rowMajorFromPose,
} from './panda-kinematics.js';

/**
 * Collision geometry of the Panda against obstacles (obstacles.ts), with hand-written overlap tests (the planner
 * checks thousands of configurations per plan, so these avoid three.js allocations: measured hot
 * loop).
 *
 * Arm links are capsules (segment + radius, sized after franka_description's collision
 * capsules) given in the link's own frame; each capsule is checked as a chain of spheres spaced
 * a quarter radius apart, which covers it to within 1 % of the radius. The hand and fingers are
 * oriented boxes in the hand frame; a held object is a box in the tool frame.
 * Self-collision is not checked.
 */

export { boxObstacle, cylinderObstacle, obstacleBoundingRadius, obstaclesFromScene, obstacleTopZ, sphereObstacle, type Obstacle } from './obstacles.js';

// ------------------------------------------------------------------------------------------
// Robot geometry
// ------------------------------------------------------------------------------------------

export interface LinkCapsule {
  /** Frame index (1..7 joint frames, 9 hand) the segment is expressed in. */
  frame: number;
  from: Vec3;
  to: Vec3;
  radiusMetres: number;
  part: string;
}

/**
 * Arm capsules per link frame, after franka_description's collision model (radius 6 cm for the
 * big links). Link 0 (the base) and the lower part of link 1 are left out: they never move, and
 * the base stands on the table.
 */
export const PANDA_LINK_CAPSULES: readonly LinkCapsule[] = [
  { frame: 1, from: [0, 0, -0.2], to: [0, 0, -0.05], radiusMetres: 0.06, part: 'link1' },
  { frame: 2, from: [0, 0, -0.06], to: [0, 0, 0.06], radiusMetres: 0.06, part: 'link2' },
  { frame: 2, from: [0, 0, 0], to: [0, -0.2, 0], radiusMetres: 0.055, part: 'link2' },
  { frame: 3, from: [0, 0, -0.22], to: [0, 0, -0.07], radiusMetres: 0.06, part: 'link3' },
  { frame: 4, from: [0, 0, -0.06], to: [0, 0, 0.06], radiusMetres: 0.06, part: 'link4' },
  { frame: 4, from: [-0.0825, 0.03, 0], to: [-0.0825, 0.12, 0], radiusMetres: 0.055, part: 'link4' },
  { frame: 5, from: [0, 0, -0.31], to: [0, 0, -0.21], radiusMetres: 0.06, part: 'link5' },
  { frame: 5, from: [0, 0.08, -0.2], to: [0, 0.08, -0.06], radiusMetres: 0.025, part: 'link5' },
  { frame: 6, from: [0, 0, -0.07], to: [0, 0, 0.01], radiusMetres: 0.05, part: 'link6' },
  { frame: 6, from: [0, 0, 0], to: [0.088, 0, 0], radiusMetres: 0.045, part: 'link6' },
  { frame: 7, from: [0, 0, -0.06], to: [0, 0, 0.08], radiusMetres: 0.04, part: 'link7' },
];

export interface LinkBox {
  frame: number;
  centre: Vec3;
  halfExtentsMetres: Vec3;
  part: string;
}

/** The hand body (palm housing) in the hand frame: 20 cm across the finger axis (y), 6.6 cm tall. */
export const PANDA_HAND_BOX: LinkBox = { frame: FRAME_HAND, centre: [0, 0, 0.033], halfExtentsMetres: [0.03, 0.1, 0.033], part: 'hand' };
/** Finger pad length from the hand base to just beyond the TCP. */
export const PANDA_FINGER_HALF_EXTENTS_METRES: Vec3 = [0.011, 0.01, 0.025];

/** A box carried by the gripper; it moves with the tool frame. */
export interface HeldObject {
  /** Pose of the box centre in the tool (TCP) frame. */
  poseInTool: Pose;
  halfExtentsMetres: Vec3;
  name?: string;
}

interface SphereSet {
  frame: Int32Array;
  local: Float64Array; // xyz per sphere
  radius: Float64Array;
  part: string[];
}

function buildSphereSet(capsules: readonly LinkCapsule[]): SphereSet {
  const frames: number[] = [];
  const local: number[] = [];
  const radii: number[] = [];
  const parts: string[] = [];
  for (const c of capsules) {
    const len = Math.hypot(c.to[0] - c.from[0], c.to[1] - c.from[1], c.to[2] - c.from[2]);
    const n = Math.max(1, Math.ceil(len / (0.25 * c.radiusMetres)));
    for (let i = 0; i <= n; i++) {
      const t = i / n;
      frames.push(c.frame);
      local.push(c.from[0] + (c.to[0] - c.from[0]) * t, c.from[1] + (c.to[1] - c.from[1]) * t, c.from[2] + (c.to[2] - c.from[2]) * t);
      radii.push(c.radiusMetres);
      parts.push(c.part);
    }
  }
  return { frame: Int32Array.from(frames), local: Float64Array.from(local), radius: Float64Array.from(radii), part: parts };
}

const ARM_SPHERES = buildSphereSet(PANDA_LINK_CAPSULES);
export const PANDA_ARM_SPHERE_COUNT = ARM_SPHERES.radius.length;

/** A world-frame oriented box (rotation row-major, columns = box axes). */
interface WorldBox {
  c: Float64Array; // 3
  r: Float64Array; // 9
  h: Float64Array; // 3
  part: string;
}

function newWorldBox(part: string): WorldBox {
  return { c: new Float64Array(3), r: new Float64Array(9), h: new Float64Array(3), part };
}

/** Sets `box` to a box with local centre/orientation `local` (row-major 4x4) in `frame`. */
function placeBox(frames: Float64Array, fo: number, local: Float64Array, half: ArrayLike<number>, inflate: number, box: WorldBox): void {
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      box.r[r * 3 + c] = frames[fo + r * 4] * local[c] + frames[fo + r * 4 + 1] * local[4 + c] + frames[fo + r * 4 + 2] * local[8 + c];
    }
    box.c[r] = frames[fo + r * 4] * local[3] + frames[fo + r * 4 + 1] * local[7] + frames[fo + r * 4 + 2] * local[11] + frames[fo + r * 4 + 3];
  }
  for (let i = 0; i < 3; i++) box.h[i] = Math.max(1e-6, half[i] + inflate);
}

function translation(x: number, y: number, z: number): Float64Array {
  return Float64Array.from([1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1]);
}

// ------------------------------------------------------------------------------------------
// Overlap tests (all hand-written: hot loop)
// ------------------------------------------------------------------------------------------

/** Does a sphere (centre x,y,z, radius) overlap the obstacle? */
function sphereHits(o: Obstacle, x: number, y: number, z: number, radius: number): boolean {
  const dx = x - o.centreMetres[0];
  const dy = y - o.centreMetres[1];
  const dz = z - o.centreMetres[2];
  const r = o.rotation;
  if (o.kind === 'sphere') {
    const rr = radius + o.radiusMetres;
    return dx * dx + dy * dy + dz * dz < rr * rr;
  }
  // Into the obstacle's frame: local = R^T d.
  const lx = r[0] * dx + r[3] * dy + r[6] * dz;
  const ly = r[1] * dx + r[4] * dy + r[7] * dz;
  const lz = r[2] * dx + r[5] * dy + r[8] * dz;
  if (o.kind === 'box') {
    const h = o.halfExtentsMetres;
    const ex = Math.max(0, Math.abs(lx) - h[0]);
    const ey = Math.max(0, Math.abs(ly) - h[1]);
    const ez = Math.max(0, Math.abs(lz) - h[2]);
    return ex * ex + ey * ey + ez * ez < radius * radius;
  }
  const er = Math.max(0, Math.hypot(lx, ly) - o.radiusMetres);
  const ez = Math.max(0, Math.abs(lz) - o.halfHeightMetres);
  return er * er + ez * ez < radius * radius;
}

/** Half-length of the obstacle's projection onto unit axis (ax, ay, az). */
function obstacleProjection(o: Obstacle, ax: number, ay: number, az: number): number {
  const r = o.rotation;
  if (o.kind === 'sphere') return o.radiusMetres;
  const px = Math.abs(r[0] * ax + r[3] * ay + r[6] * az);
  const py = Math.abs(r[1] * ax + r[4] * ay + r[7] * az);
  const pz = Math.abs(r[2] * ax + r[5] * ay + r[8] * az);
  if (o.kind === 'box') return px * o.halfExtentsMetres[0] + py * o.halfExtentsMetres[1] + pz * o.halfExtentsMetres[2];
  return pz * o.halfHeightMetres + Math.sqrt(Math.max(0, 1 - pz * pz)) * o.radiusMetres;
}

const axisScratch = new Float64Array(3);

/**
 * Oriented box vs obstacle by the separating-axis test. For boxes the 15 axes make it exact; for
 * spheres the exact sphere test is used; for cylinders the box axes, the cylinder axis and their
 * cross products are tried, which never misses a real overlap but may report one for a box that
 * only grazes the cylinder's rim (conservative).
 */
function boxHits(o: Obstacle, b: WorldBox): boolean {
  if (o.kind === 'sphere') {
    const dx = o.centreMetres[0] - b.c[0];
    const dy = o.centreMetres[1] - b.c[1];
    const dz = o.centreMetres[2] - b.c[2];
    let d2 = 0;
    for (let i = 0; i < 3; i++) {
      const l = b.r[i] * dx + b.r[3 + i] * dy + b.r[6 + i] * dz;
      const e = Math.max(0, Math.abs(l) - b.h[i]);
      d2 += e * e;
    }
    return d2 < o.radiusMetres * o.radiusMetres;
  }
  const tx = o.centreMetres[0] - b.c[0];
  const ty = o.centreMetres[1] - b.c[1];
  const tz = o.centreMetres[2] - b.c[2];
  const separated = (ax: number, ay: number, az: number): boolean => {
    const n = Math.hypot(ax, ay, az);
    if (n < 1e-9) return false;
    ax /= n; ay /= n; az /= n;
    const pb =
      Math.abs(b.r[0] * ax + b.r[3] * ay + b.r[6] * az) * b.h[0] +
      Math.abs(b.r[1] * ax + b.r[4] * ay + b.r[7] * az) * b.h[1] +
      Math.abs(b.r[2] * ax + b.r[5] * ay + b.r[8] * az) * b.h[2];
    return Math.abs(tx * ax + ty * ay + tz * az) > pb + obstacleProjection(o, ax, ay, az);
  };
  const or = o.rotation;
  for (let i = 0; i < 3; i++) if (separated(b.r[i], b.r[3 + i], b.r[6 + i])) return false;
  const otherAxes = o.kind === 'box' ? 3 : 1;
  for (let j = 0; j < otherAxes; j++) {
    // Cylinder: only its z axis (column 2).
    const col = o.kind === 'box' ? j : 2;
    const ox = or[col], oy = or[3 + col], oz = or[6 + col];
    if (separated(ox, oy, oz)) return false;
    for (let i = 0; i < 3; i++) {
      const bx = b.r[i], by = b.r[3 + i], bz = b.r[6 + i];
      axisScratch[0] = by * oz - bz * oy;
      axisScratch[1] = bz * ox - bx * oz;
      axisScratch[2] = bx * oy - by * ox;
      if (separated(axisScratch[0], axisScratch[1], axisScratch[2])) return false;
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------------
// Checker
// ------------------------------------------------------------------------------------------

export interface CollisionOptions {
  basePose?: Pose;
  /** Opening of each finger in metres (0 - 0.04); 0.04 (open) when omitted. */
  fingerOpeningMetres?: number;
  heldObject?: HeldObject;
  /** Grows every robot shape by this much (negative shrinks: lets shapes graze). Default 0. */
  clearanceMetres?: number;
}

export interface CollisionPair {
  /** Robot part: link1..link7, hand, finger_left, finger_right, held. */
  part: string;
  bodyName: string;
  obstacleIndex: number;
}

/**
 * Checks robot configurations against a fixed set of obstacles. Build one per plan and call
 * `collisions(q)` per configuration.
 */
export class RobotCollisionChecker {
  readonly obstacles: readonly Obstacle[];
  private readonly base: Float64Array | null;
  private readonly clearance: number;
  private readonly frames = new Float64Array(FRAME_COUNT * 16);
  private readonly boxes: WorldBox[];
  private readonly boxLocal: { frame: number; local: Float64Array; half: Vec3 }[];
  private readonly bound: Float64Array;
  private readonly world = new Float64Array(PANDA_ARM_SPHERE_COUNT * 3);

  constructor(obstacles: readonly Obstacle[], options: CollisionOptions = {}) {
    if (!Array.isArray(obstacles)) throw invalidArgument('obstacles', 'must be an array');
    this.obstacles = obstacles;
    this.base = options.basePose ? rowMajorFromPose(options.basePose, 'options.basePose') : null;
    const clearance = options.clearanceMetres ?? 0;
    assertFiniteNumber(clearance, 'options.clearanceMetres');
    this.clearance = clearance;
    const opening = options.fingerOpeningMetres ?? PANDA_FINGER_MAX_METRES;
    assertFiniteNumber(opening, 'options.fingerOpeningMetres');
    if (opening < 0 || opening > PANDA_FINGER_MAX_METRES + 1e-9) {
      throw invalidArgument('options.fingerOpeningMetres', `must be within 0 - ${PANDA_FINGER_MAX_METRES}, got ${opening}`);
    }
    const fh = PANDA_FINGER_HALF_EXTENTS_METRES;
    // Fingers: their inner faces at ±opening, their tips 1 cm beyond the TCP.
    const fingerZ = PANDA_TCP_OFFSET_METRES + 0.01 - fh[2];
    this.boxLocal = [
      { frame: FRAME_HAND, local: translation(...PANDA_HAND_BOX.centre), half: PANDA_HAND_BOX.halfExtentsMetres },
      { frame: FRAME_HAND, local: translation(0, opening + fh[1], fingerZ), half: fh },
      { frame: FRAME_HAND, local: translation(0, -opening - fh[1], fingerZ), half: fh },
    ];
    this.boxes = [newWorldBox('hand'), newWorldBox('finger_left'), newWorldBox('finger_right')];
    if (options.heldObject) {
      const held = options.heldObject;
      assertPositiveVec(held.halfExtentsMetres, 3, 'options.heldObject.halfExtentsMetres');
      this.boxLocal.push({ frame: FRAME_TOOL, local: rowMajorFromPose(held.poseInTool, 'options.heldObject.poseInTool'), half: [...held.halfExtentsMetres] });
      this.boxes.push(newWorldBox('held'));
    }
    obstacles.forEach((o, i) => {
      if (!o || !['box', 'sphere', 'cylinder'].includes(o.kind)) throw invalidArgument(`obstacles[${i}].kind`, 'must be box, sphere or cylinder');
      assertFiniteArray(o.centreMetres, 3, `obstacles[${i}].centreMetres`);
      assertFiniteArray(o.rotation, 9, `obstacles[${i}].rotation`);
    });
    this.bound = Float64Array.from(obstacles.map(obstacleBoundingRadius));
  }

  /** World frames of the last checked configuration (FRAME_COUNT x 16, row-major). */
  get lastFrames(): Float64Array {
    return this.frames;
  }

  /**
   * Colliding (part, obstacle) pairs of configuration `q`; empty when free. `firstOnly` stops at
   * the first hit. No validation of `q` (hot path; the planner validates once).
   */
  collisions(q: ArrayLike<number>, firstOnly = false): CollisionPair[] {
    const hits: CollisionPair[] = [];
    const fr = this.frames;
    computeFrames(q, this.base, fr);
    const s = ARM_SPHERES;
    const n = s.radius.length;
    const w = this.world;
    for (let i = 0; i < n; i++) {
      const fo = s.frame[i] * 16;
      const x = s.local[i * 3], y = s.local[i * 3 + 1], z = s.local[i * 3 + 2];
      w[i * 3] = fr[fo] * x + fr[fo + 1] * y + fr[fo + 2] * z + fr[fo + 3];
      w[i * 3 + 1] = fr[fo + 4] * x + fr[fo + 5] * y + fr[fo + 6] * z + fr[fo + 7];
      w[i * 3 + 2] = fr[fo + 8] * x + fr[fo + 9] * y + fr[fo + 10] * z + fr[fo + 11];
    }
    for (let b = 0; b < this.boxes.length; b++) {
      const bl = this.boxLocal[b];
      placeBox(fr, bl.frame * 16, bl.local, bl.half, this.clearance, this.boxes[b]);
    }
    for (let oi = 0; oi < this.obstacles.length; oi++) {
      const o = this.obstacles[oi];
      const cx = o.centreMetres[0], cy = o.centreMetres[1], cz = o.centreMetres[2];
      const bound = this.bound[oi];
      let lastPart = '';
      for (let i = 0; i < n; i++) {
        const r = s.radius[i] + this.clearance;
        if (r <= 0) continue;
        const x = w[i * 3], y = w[i * 3 + 1], z = w[i * 3 + 2];
        const reach = bound + r;
        const dx = x - cx, dy = y - cy, dz = z - cz;
        if (dx * dx + dy * dy + dz * dz >= reach * reach) continue;
        if (s.part[i] === lastPart) continue;
        if (sphereHits(o, x, y, z, r)) {
          lastPart = s.part[i];
          hits.push({ part: s.part[i], bodyName: o.bodyName, obstacleIndex: oi });
          if (firstOnly) return hits;
        }
      }
      for (const box of this.boxes) {
        const reach = bound + Math.hypot(box.h[0], box.h[1], box.h[2]);
        const dx = box.c[0] - cx, dy = box.c[1] - cy, dz = box.c[2] - cz;
        if (dx * dx + dy * dy + dz * dz >= reach * reach) continue;
        if (boxHits(o, box)) {
          hits.push({ part: box.part, bodyName: o.bodyName, obstacleIndex: oi });
          if (firstOnly) return hits;
        }
      }
    }
    return hits;
  }
}

/** One-off check of configuration `q` against `obstacles` (builds a checker; use the class in loops). */
export function robotCollisions(q: ArrayLike<number>, obstacles: readonly Obstacle[], options: CollisionOptions = {}): CollisionPair[] {
  assertFiniteArray(q, 7, 'q');
  return new RobotCollisionChecker(obstacles, options).collisions(q);
}

/** Validation helper kept here so callers get the same error for a malformed held object. */
export function assertHeldObject(held: HeldObject | undefined, field: string): void {
  if (held === undefined) return;
  if (!held || typeof held !== 'object') throw new PeractError('INVALID_ARGUMENT', 'must be { poseInTool, halfExtentsMetres }', { field });
  assertPositiveVec(held.halfExtentsMetres, 3, `${field}.halfExtentsMetres`);
  rowMajorFromPose(held.poseInTool, `${field}.poseInTool`);
}
