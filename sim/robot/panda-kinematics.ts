import { Matrix4, Quaternion } from 'three';
import { assertFiniteArray, canonicalQuaternion, invalidArgument, matrix4FromPose, type Pose } from '../../core/index.js';

/**
 * Franka Emika Panda kinematics from the modified (Craig) DH parameters in docs/design.md.
 *
 * Frame conventions (they match franka_description's URDF link frames):
 * - frame 0 is the robot base (`basePose`, the world origin by default), z up;
 * - frame i (1..7) is the frame of joint i; joint i rotates about its own z axis;
 * - the flange (panda_link8) sits 0.107 m along frame 7's z;
 * - the hand (panda_hand) is the flange rotated -45 deg about z, as mounted on the real robot;
 * - the tool centre point (TCP) sits 0.1034 m along the hand's z, between the fingertips.
 * Tool frame: +z is the gripper's approach direction (out of the palm), the fingers slide along
 * ±y (the left finger on +y), +x completes the right-handed frame.
 */

export const PANDA_JOINT_COUNT = 7;

export interface DhRow {
  aMetres: number;
  dMetres: number;
  alphaRad: number;
}

/** Modified DH rows for joints 1..7: T_i = RotX(alpha) TransX(a) RotZ(q_i) TransZ(d). */
export const PANDA_DH: readonly DhRow[] = [
  { aMetres: 0, dMetres: 0.333, alphaRad: 0 },
  { aMetres: 0, dMetres: 0, alphaRad: -Math.PI / 2 },
  { aMetres: 0, dMetres: 0.316, alphaRad: Math.PI / 2 },
  { aMetres: 0.0825, dMetres: 0, alphaRad: Math.PI / 2 },
  { aMetres: -0.0825, dMetres: 0.384, alphaRad: -Math.PI / 2 },
  { aMetres: 0, dMetres: 0, alphaRad: Math.PI / 2 },
  { aMetres: 0.088, dMetres: 0, alphaRad: Math.PI / 2 },
];

export const PANDA_FLANGE_D_METRES = 0.107;
export const PANDA_HAND_YAW_RAD = -Math.PI / 4;
export const PANDA_TCP_OFFSET_METRES = 0.1034;
/** Each finger opens 0 - 0.04 m from the centre line. */
export const PANDA_FINGER_MAX_METRES = 0.04;

export const PANDA_JOINT_LOWER_RAD: readonly number[] = [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973];
export const PANDA_JOINT_UPPER_RAD: readonly number[] = [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973];

/** The usual "ready" configuration: elbow up, gripper pointing straight down, fingers along world y. */
export const PANDA_HOME_Q: readonly number[] = [0, -0.785, 0, -2.356, 0, 1.571, 0.785];

/**
 * Upper bound on the distance from the shoulder (joint 2 origin) to the TCP, used to reject
 * far targets before running IK: |j2->j4| + |j4->j6| + |j6->TCP|.
 */
export const PANDA_MAX_REACH_METRES =
  Math.hypot(0.316, 0.0825) + Math.hypot(0.384, 0.0825) + Math.hypot(0.088, PANDA_FLANGE_D_METRES + PANDA_TCP_OFFSET_METRES);

/** Frame indices in the FK output. */
export const FRAME_FLANGE = 8;
export const FRAME_HAND = 9;
export const FRAME_TOOL = 10;
export const FRAME_COUNT = 11;

export interface KinematicsOptions {
  /** Pose of the robot base in the world; identity (world origin) when omitted. */
  basePose?: Pose;
}

export interface FkResult {
  /** Index 0 = base, 1..7 = joint frames, 8 = flange, 9 = hand, 10 = tool (TCP). */
  linkPoses: Pose[];
  flangePose: Pose;
  handPose: Pose;
  toolPose: Pose;
}

/** Validates a joint vector: 7 finite numbers. Throws INVALID_ARGUMENT naming `field`. */
export function assertJointVector(q: ArrayLike<number> | undefined, field = 'q'): void {
  assertFiniteArray(q, PANDA_JOINT_COUNT, field);
}

/** True when every joint is within its limits (with `toleranceRad` slack). */
export function withinJointLimits(q: ArrayLike<number>, toleranceRad = 1e-9): boolean {
  for (let i = 0; i < PANDA_JOINT_COUNT; i++) {
    if (q[i] < PANDA_JOINT_LOWER_RAD[i] - toleranceRad || q[i] > PANDA_JOINT_UPPER_RAD[i] + toleranceRad) return false;
  }
  return true;
}

/** Copy of `q` clamped into the joint limits. */
export function clampToJointLimits(q: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < PANDA_JOINT_COUNT; i++) {
    out.push(Math.min(PANDA_JOINT_UPPER_RAD[i], Math.max(PANDA_JOINT_LOWER_RAD[i], q[i])));
  }
  return out;
}

/** 4x4 row-major matrix of a pose (Float64Array), validating it. */
export function rowMajorFromPose(pose: Pose, field: string): Float64Array {
  if (!pose || typeof pose !== 'object') throw invalidArgument(field, 'must be a pose { positionMetres, quaternion }');
  assertFiniteArray(pose.positionMetres, 3, `${field}.positionMetres`);
  const q = canonicalQuaternion(pose.quaternion, `${field}.quaternion`);
  return Float64Array.from(matrix4FromPose({ positionMetres: pose.positionMetres, quaternion: q }).transpose().elements);
}

/** Pose of a 4x4 row-major rigid matrix stored at `offset` in `m`. */
export function poseFromRowMajor(m: ArrayLike<number>, offset = 0): Pose {
  const rot = new Matrix4().set(
    m[offset], m[offset + 1], m[offset + 2], 0,
    m[offset + 4], m[offset + 5], m[offset + 6], 0,
    m[offset + 8], m[offset + 9], m[offset + 10], 0,
    0, 0, 0, 1,
  );
  const q = new Quaternion().setFromRotationMatrix(rot);
  return {
    positionMetres: [m[offset + 3], m[offset + 7], m[offset + 11]],
    quaternion: canonicalQuaternion([q.x, q.y, q.z, q.w]),
  };
}

// ---------------------------------------------------------------------------------------------
// Hot path. IK runs FK and the Jacobian hundreds of times per solve and the planner thousands of
// times per plan, so these use hand-written row-major 4x4 products on preallocated Float64Arrays
// (three.js Matrix4 allocates and is column-major; measured ~10x slower here).
// ---------------------------------------------------------------------------------------------

const COS_ALPHA = PANDA_DH.map((r) => Math.cos(r.alphaRad));
const SIN_ALPHA = PANDA_DH.map((r) => Math.sin(r.alphaRad));
// Exact zeros for cos(±pi/2), so q = 0 gives clean numbers.
for (let i = 0; i < COS_ALPHA.length; i++) if (Math.abs(COS_ALPHA[i]) < 1e-12) COS_ALPHA[i] = 0;

const IDENTITY = Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
const scratchLocal = new Float64Array(16);

/** out(at outOff) = a(at aOff) * b, all 4x4 row-major rigid transforms (last row implicit). */
function mulRigid(a: Float64Array, aOff: number, b: Float64Array, out: Float64Array, outOff: number): void {
  for (let r = 0; r < 3; r++) {
    const a0 = a[aOff + r * 4];
    const a1 = a[aOff + r * 4 + 1];
    const a2 = a[aOff + r * 4 + 2];
    const a3 = a[aOff + r * 4 + 3];
    out[outOff + r * 4] = a0 * b[0] + a1 * b[4] + a2 * b[8];
    out[outOff + r * 4 + 1] = a0 * b[1] + a1 * b[5] + a2 * b[9];
    out[outOff + r * 4 + 2] = a0 * b[2] + a1 * b[6] + a2 * b[10];
    out[outOff + r * 4 + 3] = a0 * b[3] + a1 * b[7] + a2 * b[11] + a3;
  }
  out[outOff + 12] = 0;
  out[outOff + 13] = 0;
  out[outOff + 14] = 0;
  out[outOff + 15] = 1;
}

const HAND_LOCAL = (() => {
  // flange -> hand: translate 0.107 along z is done by the flange step; here RotZ(-45 deg).
  const c = Math.cos(PANDA_HAND_YAW_RAD);
  const s = Math.sin(PANDA_HAND_YAW_RAD);
  return Float64Array.from([c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
})();
const FLANGE_LOCAL = Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, PANDA_FLANGE_D_METRES, 0, 0, 0, 1]);
const TOOL_LOCAL = Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, PANDA_TCP_OFFSET_METRES, 0, 0, 0, 1]);

/**
 * Writes the FRAME_COUNT world frames (each 16 numbers, row-major) of configuration `q` into
 * `out` (length >= FRAME_COUNT * 16). `base` is the base's 4x4 row-major matrix or null for identity.
 * No validation: internal hot path.
 */
export function computeFrames(q: ArrayLike<number>, base: Float64Array | null, out: Float64Array): void {
  out.set(base ?? IDENTITY, 0);
  const t = scratchLocal;
  for (let i = 0; i < PANDA_JOINT_COUNT; i++) {
    const ct = Math.cos(q[i]);
    const st = Math.sin(q[i]);
    const ca = COS_ALPHA[i];
    const sa = SIN_ALPHA[i];
    const a = PANDA_DH[i].aMetres;
    const d = PANDA_DH[i].dMetres;
    t[0] = ct; t[1] = -st; t[2] = 0; t[3] = a;
    t[4] = st * ca; t[5] = ct * ca; t[6] = -sa; t[7] = -d * sa;
    t[8] = st * sa; t[9] = ct * sa; t[10] = ca; t[11] = d * ca;
    mulRigid(out, i * 16, t, out, (i + 1) * 16);
  }
  mulRigid(out, 7 * 16, FLANGE_LOCAL, out, FRAME_FLANGE * 16);
  mulRigid(out, FRAME_FLANGE * 16, HAND_LOCAL, out, FRAME_HAND * 16);
  mulRigid(out, FRAME_HAND * 16, TOOL_LOCAL, out, FRAME_TOOL * 16);
}

/**
 * Geometric Jacobian of the TCP (6 x 7, row-major into `out`, rows vx vy vz wx wy wz) from
 * frames already computed by `computeFrames`. Joint i turns about frame i's z axis.
 */
export function jacobianFromFrames(frames: Float64Array, out: Float64Array): void {
  const o = FRAME_TOOL * 16;
  const px = frames[o + 3];
  const py = frames[o + 7];
  const pz = frames[o + 11];
  for (let j = 0; j < PANDA_JOINT_COUNT; j++) {
    const f = (j + 1) * 16;
    const zx = frames[f + 2];
    const zy = frames[f + 6];
    const zz = frames[f + 10];
    const dx = px - frames[f + 3];
    const dy = py - frames[f + 7];
    const dz = pz - frames[f + 11];
    out[j] = zy * dz - zz * dy;
    out[7 + j] = zz * dx - zx * dz;
    out[14 + j] = zx * dy - zy * dx;
    out[21 + j] = zx;
    out[28 + j] = zy;
    out[35 + j] = zz;
  }
}

function checkedBase(options: KinematicsOptions | undefined): Float64Array | null {
  return options?.basePose ? rowMajorFromPose(options.basePose, 'basePose') : null;
}

/** Forward kinematics of the Panda with its hand. Throws INVALID_ARGUMENT for a bad `q` or base. */
export function forwardKinematics(q: ArrayLike<number>, options?: KinematicsOptions): FkResult {
  assertJointVector(q);
  const frames = new Float64Array(FRAME_COUNT * 16);
  computeFrames(q, checkedBase(options), frames);
  const linkPoses: Pose[] = [];
  for (let i = 0; i < FRAME_COUNT; i++) linkPoses.push(poseFromRowMajor(frames, i * 16));
  return {
    linkPoses,
    flangePose: linkPoses[FRAME_FLANGE],
    handPose: linkPoses[FRAME_HAND],
    toolPose: linkPoses[FRAME_TOOL],
  };
}

/** Geometric Jacobian of the TCP in the world frame: 6 rows (vx, vy, vz, wx, wy, wz) of 7. */
export function toolJacobian(q: ArrayLike<number>, options?: KinematicsOptions): number[][] {
  assertJointVector(q);
  const frames = new Float64Array(FRAME_COUNT * 16);
  computeFrames(q, checkedBase(options), frames);
  const j = new Float64Array(42);
  jacobianFromFrames(frames, j);
  const rows: number[][] = [];
  for (let r = 0; r < 6; r++) rows.push(Array.from(j.subarray(r * 7, r * 7 + 7)));
  return rows;
}
