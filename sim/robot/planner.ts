import { Quaternion, Vector3 } from 'three';
import { assertFiniteNumber, canonicalQuaternion, invalidArgument, type Pose, type Vec3 } from '../../core/index.js';
import { assertHeldObject, obstacleTopZ, RobotCollisionChecker, type CollisionPair, type HeldObject, type Obstacle } from './collision.js';
import { solveIk } from './ik.js';
import { assertJointVector, clampToJointLimits, forwardKinematics, rowMajorFromPose, withinJointLimits, PANDA_JOINT_COUNT } from './panda-kinematics.js';

/**
 * Motion planning for one PerAct action: from the current joints to a target tool pose.
 *
 * With `ignoreCollisions` the tool moves along a straight Cartesian line (position lerp,
 * orientation slerp), solving IK per waypoint seeded by the previous one. Otherwise the same
 * straight line is checked against the obstacles; when it collides, "up, across, down" paths
 * through a few safe heights are tried. Planning failures are results, never exceptions.
 */

export interface PlanOptions {
  ignoreCollisions: boolean;
  /** Obstacles (the table included), e.g. from `obstaclesFromScene` minus the bodies in contact. */
  obstacles?: readonly Obstacle[];
  /** A box carried by the gripper; it must not collide either. */
  heldObject?: HeldObject;
  /** Opening of each finger during the motion (0 - 0.04 m); 0.04 when omitted. */
  fingerOpeningMetres?: number;
  basePose?: Pose;
  /** Grows the robot's collision shapes (negative shrinks); 0 when omitted. */
  clearanceMetres?: number;
  /** Largest Cartesian step between waypoints; 0.01 m when omitted. */
  maxStepMetres?: number;
  /** Largest joint step between waypoints (also the orientation step); 0.05 rad when omitted. */
  maxStepRad?: number;
  /**
   * Candidate transit heights (world z of the TCP) for the up-across-down detour; when omitted,
   * derived from the tallest obstacle near the motion (+0.1, +0.2, +0.3 m above it).
   */
  transitHeightsMetres?: number[];
  /** Seed of the goal IK's restarts. */
  seed?: number;
}

export type PlanFailureReason = 'unreachable' | 'collision' | 'ik';

export type PlanResult =
  | { ok: true; path: number[][]; strategy: 'straight' | 'joint' | 'up-across-down'; transitHeightMetres?: number }
  | { ok: false; reason: PlanFailureReason; detail: string; collisions?: CollisionPair[] };

/** How far a joint-space path may stray from the straight line between its end poses. */
const JOINT_PATH_MAX_DEVIATION_METRES = 0.02;
const JOINT_PATH_MAX_DEVIATION_RAD = 0.04;

/**
 * Linear interpolation in joint space, accepted only while the tool stays within
 * JOINT_PATH_MAX_DEVIATION_METRES of the straight segment between the two poses.
 */
function jointSpacePath(qStart: number[], qGoal: number[], from: Pose, to: Pose, ctx: Context): number[][] | null {
  let maxJoint = 0;
  for (let k = 0; k < PANDA_JOINT_COUNT; k++) maxJoint = Math.max(maxJoint, Math.abs(qGoal[k] - qStart[k]));
  const d = poseDistance(from, to);
  const n = Math.max(1, Math.ceil(Math.max(maxJoint / ctx.stepRad, d.metres / ctx.stepMetres)));
  const a = new Vector3(...from.positionMetres);
  const b = new Vector3(...to.positionMetres);
  const ab = b.clone().sub(a);
  const len2 = Math.max(1e-12, ab.lengthSq());
  const path: number[][] = [qStart.slice()];
  for (let i = 1; i <= n; i++) {
    const t = i / n;
    const q = qStart.map((v, k) => v + (qGoal[k] - v) * t);
    const p = new Vector3(...forwardKinematics(q, { basePose: ctx.basePose }).toolPose.positionMetres);
    const s = Math.min(1, Math.max(0, p.clone().sub(a).dot(ab) / len2));
    if (p.distanceTo(a.clone().addScaledVector(ab, s)) > JOINT_PATH_MAX_DEVIATION_METRES) return null;
    // A held drawer cannot follow a tool that turns off the line's orientation.
    if (poseDistance(forwardKinematics(q, { basePose: ctx.basePose }).toolPose, slerpPose(from, to, t)).rad > JOINT_PATH_MAX_DEVIATION_RAD) return null;
    path.push(q);
  }
  return path;
}

/** A joint step larger than this between neighbouring Cartesian waypoints means IK jumped branches. */
const MAX_BRANCH_JUMP_RAD = 0.5;

function slerpPose(a: Pose, b: Pose, t: number): Pose {
  const qa = new Quaternion(...a.quaternion);
  const qb = new Quaternion(...b.quaternion);
  const q = qa.slerp(qb, t);
  const p = new Vector3(...a.positionMetres).lerp(new Vector3(...b.positionMetres), t);
  return { positionMetres: [p.x, p.y, p.z], quaternion: canonicalQuaternion([q.x, q.y, q.z, q.w]) };
}

function poseDistance(a: Pose, b: Pose): { metres: number; rad: number } {
  const metres = Math.hypot(a.positionMetres[0] - b.positionMetres[0], a.positionMetres[1] - b.positionMetres[1], a.positionMetres[2] - b.positionMetres[2]);
  const d = Math.abs(a.quaternion[0] * b.quaternion[0] + a.quaternion[1] * b.quaternion[1] + a.quaternion[2] * b.quaternion[2] + a.quaternion[3] * b.quaternion[3]);
  return { metres, rad: 2 * Math.acos(Math.min(1, d)) };
}

interface Context {
  basePose?: Pose;
  stepMetres: number;
  stepRad: number;
}

type SegmentResult = { ok: true; path: number[][] } | { ok: false; detail: string };

/**
 * Joint waypoints of a straight Cartesian segment from `qStart` (whose tool pose is `from`) to
 * `to`; the first waypoint (qStart) is not included.
 */
function cartesianSegment(qStart: number[], from: Pose, to: Pose, ctx: Context): SegmentResult {
  const dist = poseDistance(from, to);
  const n = Math.max(1, Math.ceil(dist.metres / ctx.stepMetres), Math.ceil(dist.rad / ctx.stepRad));
  const out: number[][] = [];
  let prev = qStart;
  for (let i = 1; i <= n; i++) {
    const target = i === n ? to : slerpPose(from, to, i / n);
    // 60 iterations left large reorientations (top-down to a tilted grasp) short of 0.01 rad.
    const r = solveIk(target, { seedQ: prev, basePose: ctx.basePose, restarts: 0, maxIterations: 150 });
    if (!r.ok) {
      return { ok: false, detail: `IK failed at waypoint ${i}/${n} towards [${to.positionMetres.map((v) => v.toFixed(3)).join(', ')}]: ${r.detail}` };
    }
    let jump = 0;
    for (let k = 0; k < PANDA_JOINT_COUNT; k++) jump = Math.max(jump, Math.abs(r.q[k] - prev[k]));
    if (jump > MAX_BRANCH_JUMP_RAD) {
      return { ok: false, detail: `joint jump of ${jump.toFixed(2)} rad at waypoint ${i}/${n} (singularity or joint limit on the line)` };
    }
    // Joint-space subdivision so no joint moves more than stepRad between waypoints.
    const sub = Math.max(1, Math.ceil(jump / ctx.stepRad));
    for (let s = 1; s < sub; s++) out.push(prev.map((v, k) => v + ((r.q[k] - v) * s) / sub));
    out.push(r.q);
    prev = r.q;
  }
  return { ok: true, path: out };
}

/** Goes through `poses` in order by straight segments; the path starts with qStart. */
function chainSegments(qStart: number[], startPose: Pose, poses: Pose[], ctx: Context): SegmentResult {
  const path: number[][] = [qStart.slice()];
  let q = qStart;
  let from = startPose;
  for (const to of poses) {
    const seg = cartesianSegment(q, from, to, ctx);
    if (!seg.ok) return seg;
    path.push(...seg.path);
    q = path[path.length - 1];
    from = to;
  }
  return { ok: true, path };
}

function pairKey(p: CollisionPair): string {
  return `${p.part}|${p.obstacleIndex}`;
}

/**
 * First colliding waypoint of `path`, or null. Contacts already present at the start
 * (e.g. a held object resting on the table) are tolerated until that pair first separates.
 */
function firstCollision(path: number[][], checker: RobotCollisionChecker): { index: number; pairs: CollisionPair[] } | null {
  let tolerated = new Set(checker.collisions(path[0]).map(pairKey));
  for (let i = 1; i < path.length; i++) {
    const pairs = checker.collisions(path[i]);
    if (pairs.length === 0) {
      tolerated = new Set();
      continue;
    }
    const fresh = pairs.filter((p) => !tolerated.has(pairKey(p)));
    if (fresh.length) return { index: i, pairs: fresh };
    tolerated = new Set(pairs.map(pairKey));
  }
  return null;
}

function describePairs(pairs: CollisionPair[]): string {
  const names = [...new Set(pairs.map((p) => `${p.part} vs ${p.bodyName}`))];
  return names.slice(0, 4).join(', ') + (names.length > 4 ? ', ...' : '');
}

function positiveOption(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  assertFiniteNumber(value, field);
  if (value <= 0) throw invalidArgument(field, `must be > 0, got ${value}`);
  return value;
}

function validatePose(pose: Pose, field: string): Pose {
  const m = rowMajorFromPose(pose, field);
  return { positionMetres: [m[3], m[7], m[11]], quaternion: canonicalQuaternion(pose.quaternion, `${field}.quaternion`) };
}

/** Transit heights: above the tallest obstacle within reach of the motion's corridor. */
function defaultTransitHeights(start: Vec3, goal: Vec3, obstacles: readonly Obstacle[], held: HeldObject | undefined): number[] {
  const ax = start[0], ay = start[1], bx = goal[0], by = goal[1];
  const lenSq = (bx - ax) ** 2 + (by - ay) ** 2;
  const corridor = 0.25;
  let top = Math.max(start[2], goal[2]);
  for (const o of obstacles) {
    const t = lenSq > 1e-12 ? Math.max(0, Math.min(1, ((o.centreMetres[0] - ax) * (bx - ax) + (o.centreMetres[1] - ay) * (by - ay)) / lenSq)) : 0;
    const dx = o.centreMetres[0] - (ax + t * (bx - ax));
    const dy = o.centreMetres[1] - (ay + t * (by - ay));
    const extent = o.kind === 'box' ? Math.hypot(o.halfExtentsMetres[0], o.halfExtentsMetres[1]) : o.radiusMetres;
    // Big flat obstacles (the table) count through their top only.
    if (Math.hypot(dx, dy) - extent > corridor) continue;
    top = Math.max(top, obstacleTopZ(o));
  }
  const heldDrop = held ? Math.hypot(...held.halfExtentsMetres) + Math.max(0, -held.poseInTool.positionMetres[2]) : 0;
  // The TCP is 1 cm above the fingertips; the hand and arm sit above it when pointing down.
  const base = top + 0.06 + heldDrop;
  return [base, base + 0.1, base + 0.2].map((h) => Math.max(h, start[2], goal[2]));
}

/**
 * Plans a joint path from `q` to a tool pose. Never throws for planning failures; throws
 * INVALID_ARGUMENT naming the field for malformed input.
 */
export function planToAction(q: ArrayLike<number>, target: Pose, options: PlanOptions): PlanResult {
  assertJointVector(q, 'q');
  const goalPose = validatePose(target, 'target');
  if (!options || typeof options !== 'object') throw invalidArgument('options', 'must be an object with ignoreCollisions');
  if (typeof options.ignoreCollisions !== 'boolean') throw invalidArgument('options.ignoreCollisions', 'must be a boolean');
  assertHeldObject(options.heldObject, 'options.heldObject');
  if (options.transitHeightsMetres !== undefined) {
    if (!Array.isArray(options.transitHeightsMetres)) throw invalidArgument('options.transitHeightsMetres', 'must be an array of numbers');
    options.transitHeightsMetres.forEach((h, i) => assertFiniteNumber(h, `options.transitHeightsMetres[${i}]`));
  }
  const ctx: Context = {
    basePose: options.basePose,
    stepMetres: positiveOption(options.maxStepMetres, 'options.maxStepMetres', 0.01),
    stepRad: positiveOption(options.maxStepRad, 'options.maxStepRad', 0.05),
  };
  const qStart = withinJointLimits(q, 1e-6) ? Array.from(q) : clampToJointLimits(q);
  const startPose = forwardKinematics(qStart, { basePose: options.basePose }).toolPose;

  // The goal must be reachable at all (with restarts) before paths are worth trying.
  const goalIk = solveIk(goalPose, { seedQ: qStart, basePose: options.basePose, seed: options.seed });
  if (!goalIk.ok) return { ok: false, reason: 'unreachable', detail: `goal pose: ${goalIk.detail}` };

  const straight = chainSegments(qStart, startPose, [goalPose], ctx);
  // When waypoint-by-waypoint IK fails on the line (a joint limit or a branch change half way),
  // interpolating joints to the goal solution gives a path that stays close to the line.
  const joint = straight.ok ? null : jointSpacePath(qStart, goalIk.q, startPose, goalPose, ctx);
  if (options.ignoreCollisions) {
    if (straight.ok) return { ok: true, path: straight.path, strategy: 'straight' };
    if (joint) return { ok: true, path: joint, strategy: 'joint' };
    return { ok: false, reason: 'ik', detail: `straight line: ${straight.detail}` };
  }

  const obstacles = options.obstacles ?? [];
  const checker = new RobotCollisionChecker(obstacles, {
    basePose: options.basePose,
    heldObject: options.heldObject,
    fingerOpeningMetres: options.fingerOpeningMetres,
    clearanceMetres: options.clearanceMetres,
  });
  const goalPairs = checker.collisions(goalIk.q);
  const goalEnd = straight.ok ? straight.path[straight.path.length - 1] : goalIk.q;
  const goalEndPairs = straight.ok ? checker.collisions(goalEnd) : goalPairs;
  if (goalPairs.length && goalEndPairs.length) {
    return { ok: false, reason: 'collision', detail: `the goal configuration collides: ${describePairs(goalEndPairs)}`, collisions: goalEndPairs };
  }

  const failures: string[] = [];
  let lastCollision: CollisionPair[] | undefined;
  if (straight.ok) {
    const hit = firstCollision(straight.path, checker);
    if (!hit) return { ok: true, path: straight.path, strategy: 'straight' };
    lastCollision = hit.pairs;
    failures.push(`straight line collides at waypoint ${hit.index}/${straight.path.length - 1}: ${describePairs(hit.pairs)}`);
  } else {
    failures.push(`straight line: ${straight.detail}`);
    if (joint) {
      const hit = firstCollision(joint, checker);
      if (!hit) return { ok: true, path: joint, strategy: 'joint' };
      failures.push(`joint-space path collides at waypoint ${hit.index}: ${describePairs(hit.pairs)}`);
    }
  }

  const heights = options.transitHeightsMetres ?? defaultTransitHeights(startPose.positionMetres, goalPose.positionMetres, obstacles, options.heldObject);
  let ikFailures = 0;
  for (const h of heights) {
    const up: Pose = { positionMetres: [startPose.positionMetres[0], startPose.positionMetres[1], h], quaternion: startPose.quaternion };
    const over: Pose = { positionMetres: [goalPose.positionMetres[0], goalPose.positionMetres[1], h], quaternion: goalPose.quaternion };
    const via = [up, over, goalPose].filter((p, i, all) => {
      const prev = i === 0 ? startPose : all[i - 1];
      const d = poseDistance(prev, p);
      return d.metres > 1e-6 || d.rad > 1e-6;
    });
    const detour = chainSegments(qStart, startPose, via, ctx);
    if (!detour.ok) {
      ikFailures++;
      failures.push(`via z=${h.toFixed(3)}: ${detour.detail}`);
      continue;
    }
    const hit = firstCollision(detour.path, checker);
    if (!hit) return { ok: true, path: detour.path, strategy: 'up-across-down', transitHeightMetres: h };
    lastCollision = hit.pairs;
    failures.push(`via z=${h.toFixed(3)} collides at waypoint ${hit.index}: ${describePairs(hit.pairs)}`);
  }
  const allIk = !straight.ok && ikFailures === heights.length;
  return {
    ok: false,
    reason: allIk ? 'ik' : 'collision',
    detail: failures.join('; '),
    collisions: lastCollision,
  };
}
