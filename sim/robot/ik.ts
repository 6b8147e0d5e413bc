import { PeractError, Rng, assertFiniteNumber, type Pose } from '../../core/index.js';
import {
  FRAME_COUNT,
  FRAME_TOOL,
  PANDA_DH,
  PANDA_HOME_Q,
  PANDA_JOINT_COUNT,
  PANDA_JOINT_LOWER_RAD,
  PANDA_JOINT_UPPER_RAD,
  PANDA_MAX_REACH_METRES,
  assertJointVector,
  clampToJointLimits,
  computeFrames,
  jacobianFromFrames,
  rowMajorFromPose,
} from './panda-kinematics.js';

/**
 * Inverse kinematics of the Panda TCP by damped least squares (Levenberg-Marquardt style
 * adaptive damping), with joint-limit clamping and deterministic random restarts.
 */

export interface IkOptions {
  /** Start configuration (usually the current one); the home pose when omitted. */
  seedQ?: ArrayLike<number>;
  basePose?: Pose;
  positionToleranceMetres?: number;
  orientationToleranceRad?: number;
  /** Iterations per attempt. */
  maxIterations?: number;
  /** Extra attempts from random in-limit configurations after the seeded one fails. */
  restarts?: number;
  /** Seed of the restart generator; a fixed default keeps solves reproducible. */
  seed?: number;
}

export type IkFailureReason = 'out-of-reach' | 'no-convergence';

export type IkResult =
  | { ok: true; q: number[]; positionErrorMetres: number; orientationErrorRad: number; iterations: number }
  | {
      ok: false;
      reason: IkFailureReason;
      detail: string;
      /** Closest configuration found, when any attempt ran. */
      bestQ?: number[];
      positionErrorMetres?: number;
      orientationErrorRad?: number;
    };

export const DEFAULT_IK_POSITION_TOLERANCE_METRES = 0.001;
export const DEFAULT_IK_ORIENTATION_TOLERANCE_RAD = 0.01;

// Preallocated workspace: solves are synchronous, so one set of buffers serves every call.
const frames = new Float64Array(FRAME_COUNT * 16);
const jac = new Float64Array(42);
const err = new Float64Array(6);
const a66 = new Float64Array(36);
const y6 = new Float64Array(6);
const dq = new Float64Array(PANDA_JOINT_COUNT);
const qWork = new Float64Array(PANDA_JOINT_COUNT);
const qTrial = new Float64Array(PANDA_JOINT_COUNT);

/** Quaternion [x,y,z,w] of a row-major rotation stored in a 4x4 at `o` (Shepperd's method). */
function quatOfFrame(m: Float64Array, o: number, out: Float64Array): void {
  const m00 = m[o], m01 = m[o + 1], m02 = m[o + 2];
  const m10 = m[o + 4], m11 = m[o + 5], m12 = m[o + 6];
  const m20 = m[o + 8], m21 = m[o + 9], m22 = m[o + 10];
  const tr = m00 + m11 + m22;
  if (tr > 0) {
    const s = 0.5 / Math.sqrt(tr + 1);
    out[3] = 0.25 / s; out[0] = (m21 - m12) * s; out[1] = (m02 - m20) * s; out[2] = (m10 - m01) * s;
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    out[3] = (m21 - m12) / s; out[0] = 0.25 * s; out[1] = (m01 + m10) / s; out[2] = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    out[3] = (m02 - m20) / s; out[0] = (m01 + m10) / s; out[1] = 0.25 * s; out[2] = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    out[3] = (m10 - m01) / s; out[0] = (m02 + m20) / s; out[1] = (m12 + m21) / s; out[2] = 0.25 * s;
  }
}

const qCur = new Float64Array(4);

/**
 * Pose error of the current TCP (in `frames`) towards the target: err[0..2] position (m),
 * err[3..5] rotation vector (rad, world frame) of target * current^-1. Returns the squared
 * weighted norm used to accept or reject a step.
 */
function poseError(tp: Float64Array, tq: Float64Array): number {
  const o = FRAME_TOOL * 16;
  err[0] = tp[0] - frames[o + 3];
  err[1] = tp[1] - frames[o + 7];
  err[2] = tp[2] - frames[o + 11];
  quatOfFrame(frames, o, qCur);
  // target * conj(current)
  const cx = -qCur[0], cy = -qCur[1], cz = -qCur[2], cw = qCur[3];
  const [x1, y1, z1, w1] = [tq[0], tq[1], tq[2], tq[3]];
  let ex = w1 * cx + x1 * cw + y1 * cz - z1 * cy;
  let ey = w1 * cy - x1 * cz + y1 * cw + z1 * cx;
  let ez = w1 * cz + x1 * cy - y1 * cx + z1 * cw;
  let ew = w1 * cw - x1 * cx - y1 * cy - z1 * cz;
  if (ew < 0) { ex = -ex; ey = -ey; ez = -ez; ew = -ew; }
  const vn = Math.hypot(ex, ey, ez);
  const angle = 2 * Math.atan2(vn, ew);
  const k = vn > 1e-12 ? angle / vn : 2;
  err[3] = ex * k;
  err[4] = ey * k;
  err[5] = ez * k;
  return err[0] * err[0] + err[1] * err[1] + err[2] * err[2] + ORI_WEIGHT_SQ * (err[3] * err[3] + err[4] * err[4] + err[5] * err[5]);
}

// Orientation errors are weighted as if 1 rad were 0.1 m, so both tolerances (1 mm, 0.01 rad)
// carry a similar weight in the least-squares problem.
const ORI_WEIGHT = 0.1;
const ORI_WEIGHT_SQ = ORI_WEIGHT * ORI_WEIGHT;

/** Solves the symmetric positive definite 6x6 system a66 * x = b in place (Cholesky); false if singular. */
function solve6(b: Float64Array, x: Float64Array): boolean {
  const a = a66;
  for (let j = 0; j < 6; j++) {
    let s = a[j * 6 + j];
    for (let k = 0; k < j; k++) s -= a[j * 6 + k] * a[j * 6 + k];
    if (s <= 1e-300) return false;
    const d = Math.sqrt(s);
    a[j * 6 + j] = d;
    for (let i = j + 1; i < 6; i++) {
      let t = a[i * 6 + j];
      for (let k = 0; k < j; k++) t -= a[i * 6 + k] * a[j * 6 + k];
      a[i * 6 + j] = t / d;
    }
  }
  substitute6(b, x);
  return true;
}

/** Forward and back substitution with the Cholesky factor `solve6` left in a66. */
function substitute6(b: Float64Array, x: Float64Array): void {
  const a = a66;
  for (let i = 0; i < 6; i++) {
    let t = b[i];
    for (let k = 0; k < i; k++) t -= a[i * 6 + k] * x[k];
    x[i] = t / a[i * 6 + i];
  }
  for (let i = 5; i >= 0; i--) {
    let t = x[i];
    for (let k = i + 1; k < 6; k++) t -= a[k * 6 + i] * x[k];
    x[i] = t / a[i * 6 + i];
  }
}

/**
 * Joint-limit avoidance in the Jacobian's null space: each iteration nudges joints away from
 * their limits (cubic in the distance from the range's middle) without moving the tool to first
 * order. Without it, long Cartesian paths solved waypoint by waypoint drift into a limit and stop
 * converging (seen on 45-degree drawer grasps).
 */
const NULL_GAIN = 0.02;
const nullZ = new Float64Array(PANDA_JOINT_COUNT);
const nullV = new Float64Array(6);
const nullW = new Float64Array(6);

function addNullSpaceStep(): void {
  for (let k = 0; k < PANDA_JOINT_COUNT; k++) {
    const mid = (PANDA_JOINT_LOWER_RAD[k] + PANDA_JOINT_UPPER_RAD[k]) / 2;
    const half = (PANDA_JOINT_UPPER_RAD[k] - PANDA_JOINT_LOWER_RAD[k]) / 2;
    const u = (qWork[k] - mid) / half;
    nullZ[k] = -NULL_GAIN * half * u * u * u;
  }
  for (let r = 0; r < 6; r++) {
    let v = 0;
    for (let k = 0; k < PANDA_JOINT_COUNT; k++) v += jac[r * 7 + k] * nullZ[k];
    nullV[r] = v * (r < 3 ? 1 : ORI_WEIGHT);
  }
  substitute6(nullV, nullW);
  for (let k = 0; k < PANDA_JOINT_COUNT; k++) {
    let s = 0;
    for (let r = 0; r < 6; r++) s += jac[r * 7 + k] * nullW[r] * (r < 3 ? 1 : ORI_WEIGHT);
    dq[k] += nullZ[k] - s;
  }
}

interface AttemptResult {
  converged: boolean;
  posErr: number;
  oriErr: number;
  iterations: number;
}

/** One damped-least-squares descent from `qWork` (updated in place). */
function attempt(base: Float64Array | null, tp: Float64Array, tq: Float64Array, tolP: number, tolO: number, maxIter: number): AttemptResult {
  let lambda = 1e-3;
  computeFrames(qWork, base, frames);
  let cost = poseError(tp, tq);
  let iterations = 0;
  for (; iterations < maxIter; iterations++) {
    const posErr = Math.hypot(err[0], err[1], err[2]);
    const oriErr = Math.hypot(err[3], err[4], err[5]);
    if (posErr <= tolP && oriErr <= tolO) return { converged: true, posErr, oriErr, iterations };
    jacobianFromFrames(frames, jac);
    // Weighted rows: W J dq = W e, W = diag(1,1,1,w,w,w). Limit the error per step so far targets
    // are approached along a straight-ish line instead of a wild first step.
    const scale = Math.min(1, 0.2 / Math.max(1e-12, Math.sqrt(cost)));
    for (let r = 0; r < 6; r++) y6[r] = err[r] * scale * (r < 3 ? 1 : ORI_WEIGHT);
    // A = (W J)(W J)^T + lambda I
    for (let r = 0; r < 6; r++) {
      const wr = r < 3 ? 1 : ORI_WEIGHT;
      for (let c = 0; c <= r; c++) {
        const wc = c < 3 ? 1 : ORI_WEIGHT;
        let s = 0;
        for (let k = 0; k < PANDA_JOINT_COUNT; k++) s += jac[r * 7 + k] * jac[c * 7 + k];
        s *= wr * wc;
        a66[r * 6 + c] = s;
        a66[c * 6 + r] = s;
      }
      a66[r * 6 + r] += lambda;
    }
    if (!solve6(y6, y6)) {
      lambda *= 10;
      continue;
    }
    let maxStep = 0;
    for (let k = 0; k < PANDA_JOINT_COUNT; k++) {
      let s = 0;
      for (let r = 0; r < 6; r++) s += jac[r * 7 + k] * y6[r] * (r < 3 ? 1 : ORI_WEIGHT);
      dq[k] = s;
    }
    addNullSpaceStep();
    for (let k = 0; k < PANDA_JOINT_COUNT; k++) maxStep = Math.max(maxStep, Math.abs(dq[k]));
    const stepScale = maxStep > 0.5 ? 0.5 / maxStep : 1;
    for (let k = 0; k < PANDA_JOINT_COUNT; k++) {
      const v = qWork[k] + dq[k] * stepScale;
      qTrial[k] = v < PANDA_JOINT_LOWER_RAD[k] ? PANDA_JOINT_LOWER_RAD[k] : v > PANDA_JOINT_UPPER_RAD[k] ? PANDA_JOINT_UPPER_RAD[k] : v;
    }
    computeFrames(qTrial, base, frames);
    const trialCost = poseError(tp, tq);
    if (trialCost < cost) {
      qWork.set(qTrial);
      cost = trialCost;
      lambda = Math.max(1e-6, lambda * 0.3);
    } else {
      // Rejected: restore the frames and error of qWork and damp harder.
      computeFrames(qWork, base, frames);
      poseError(tp, tq);
      lambda *= 8;
      if (lambda > 1e3) break;
    }
  }
  const posErr = Math.hypot(err[0], err[1], err[2]);
  const oriErr = Math.hypot(err[3], err[4], err[5]);
  return { converged: posErr <= tolP && oriErr <= tolO, posErr, oriErr, iterations };
}

function optionalPositive(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  assertFiniteNumber(value, field);
  if (value <= 0) throw new PeractError('INVALID_ARGUMENT', `must be > 0, got ${value}`, { field });
  return value;
}

function optionalCount(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new PeractError('INVALID_ARGUMENT', `must be an integer >= 0, got ${value}`, { field });
  return value;
}

/**
 * Solves for joint positions that put the TCP at `target`. Never throws for unreachable targets
 * (returns `{ ok: false, reason }`); throws INVALID_ARGUMENT for malformed input.
 */
export function solveIk(target: Pose, options: IkOptions = {}): IkResult {
  const targetMatrix = rowMajorFromPose(target, 'target');
  const tp = Float64Array.from([targetMatrix[3], targetMatrix[7], targetMatrix[11]]);
  const tq = new Float64Array(4);
  quatOfFrame(targetMatrix, 0, tq);
  const base = options.basePose ? rowMajorFromPose(options.basePose, 'options.basePose') : null;
  if (options.seedQ !== undefined) assertJointVector(options.seedQ, 'options.seedQ');
  const tolP = optionalPositive(options.positionToleranceMetres, 'options.positionToleranceMetres', DEFAULT_IK_POSITION_TOLERANCE_METRES);
  const tolO = optionalPositive(options.orientationToleranceRad, 'options.orientationToleranceRad', DEFAULT_IK_ORIENTATION_TOLERANCE_RAD);
  const maxIter = optionalCount(options.maxIterations, 'options.maxIterations', 100);
  const restarts = optionalCount(options.restarts, 'options.restarts', 6);
  if (options.seed !== undefined) assertFiniteNumber(options.seed, 'options.seed');

  // The shoulder (joint 2 origin) is 0.333 m above the base along its z.
  const shoulder = base ? [base[2] * 0.333 + base[3], base[6] * 0.333 + base[7], base[10] * 0.333 + base[11]] : [0, 0, PANDA_DH[0].dMetres];
  const reach = Math.hypot(tp[0] - shoulder[0], tp[1] - shoulder[1], tp[2] - shoulder[2]);
  if (reach > PANDA_MAX_REACH_METRES) {
    return {
      ok: false,
      reason: 'out-of-reach',
      detail: `target is ${reach.toFixed(3)} m from the shoulder, beyond the arm's ${PANDA_MAX_REACH_METRES.toFixed(3)} m reach`,
    };
  }

  qWork.set(clampToJointLimits(options.seedQ ?? PANDA_HOME_Q));
  let best: { q: number[]; posErr: number; oriErr: number } | undefined;
  let totalIterations = 0;
  let rng: Rng | undefined;
  for (let a = 0; a <= restarts; a++) {
    if (a > 0) {
      rng ??= new Rng(options.seed ?? 0x5eed);
      for (let k = 0; k < PANDA_JOINT_COUNT; k++) {
        // Stay a little inside the limits so the first steps are free to move both ways.
        const lo = PANDA_JOINT_LOWER_RAD[k];
        const hi = PANDA_JOINT_UPPER_RAD[k];
        const margin = 0.1 * (hi - lo);
        qWork[k] = rng.uniform(lo + margin, hi - margin);
      }
    }
    const r = attempt(base, tp, tq, tolP, tolO, maxIter);
    totalIterations += r.iterations;
    if (r.converged) {
      return { ok: true, q: Array.from(qWork), positionErrorMetres: r.posErr, orientationErrorRad: r.oriErr, iterations: totalIterations };
    }
    const score = r.posErr + ORI_WEIGHT * r.oriErr;
    if (!best || score < best.posErr + ORI_WEIGHT * best.oriErr) best = { q: Array.from(qWork), posErr: r.posErr, oriErr: r.oriErr };
  }
  return {
    ok: false,
    reason: 'no-convergence',
    detail: `no solution within ${tolP} m / ${tolO} rad after ${restarts + 1} attempts (best ${best ? best.posErr.toFixed(4) : '?'} m, ${best ? best.oriErr.toFixed(4) : '?'} rad)`,
    bestQ: best?.q,
    positionErrorMetres: best?.posErr,
    orientationErrorRad: best?.oriErr,
  };
}
