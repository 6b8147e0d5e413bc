import { Matrix4, Quaternion, Vector3 } from 'three';
import { invalidArgument } from './errors.js';
import { assertFiniteArray } from './validate.js';
import type { Pose, Quat, Vec3 } from './types.js';

/**
 * Normalizes a quaternion `[x, y, z, w]` and flips its sign so that `w >= 0` (the API's one
 * canonical form; q and -q are the same rotation). When w is exactly 0 the first non-zero
 * component of x, y, z is made positive so the choice is still unique.
 */
export function canonicalQuaternion(q: ArrayLike<number>, field = 'quaternion'): Quat {
  assertFiniteArray(q, 4, field);
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  // Finite components can still overflow the norm (1e308 each): normalizing would give zeros.
  if (!Number.isFinite(n)) throw invalidArgument(field, `must have a finite norm, got ${n} from [${Array.from(q).join(', ')}]`);
  if (n < 1e-12) throw invalidArgument(field, `must not be the zero quaternion (norm ${n})`);
  let s = 1 / n;
  if (q[3] < 0) s = -s;
  else if (q[3] === 0) {
    const lead = q[0] !== 0 ? q[0] : q[1] !== 0 ? q[1] : q[2];
    if (lead < 0) s = -s;
  }
  // `+ 0` turns -0 into 0 so equal rotations compare equal.
  return [q[0] * s + 0, q[1] * s + 0, q[2] * s + 0, q[3] * s + 0];
}

/** `[w, x, y, z]` (MuJoCo, PyRep, Eigen's constructor) -> our `[x, y, z, w]`. */
export function quatFromWxyz(wxyz: ArrayLike<number>): Quat {
  assertFiniteArray(wxyz, 4, 'wxyz');
  return canonicalQuaternion([wxyz[1], wxyz[2], wxyz[3], wxyz[0]]);
}

/** Our `[x, y, z, w]` -> `[w, x, y, z]`. */
export function quatToWxyz(q: Quat): [number, number, number, number] {
  return [q[3], q[0], q[1], q[2]];
}

/**
 * A pose as a three.js Matrix4, for composing transforms. The quaternion is used as given (a
 * unit quaternion, as every Pose the runtime hands out is); `matrixFromPose` validates.
 */
export function matrix4FromPose(pose: Pose): Matrix4 {
  const q = pose.quaternion;
  return new Matrix4().compose(new Vector3(...pose.positionMetres), new Quaternion(q[0], q[1], q[2], q[3]), new Vector3(1, 1, 1));
}

/** The pose of a rigid three.js Matrix4 (quaternion in canonical form). */
export function poseFromMatrix4(m: Matrix4): Pose {
  const p = new Vector3();
  const q = new Quaternion();
  m.decompose(p, q, new Vector3());
  return { positionMetres: [p.x, p.y, p.z], quaternion: canonicalQuaternion([q.x, q.y, q.z, q.w]) };
}

/** 4x4 row-major rigid transform from a pose. */
export function matrixFromPose(pose: Pose): number[] {
  assertFiniteArray(pose.positionMetres, 3, 'positionMetres');
  const m = matrix4FromPose({ positionMetres: pose.positionMetres, quaternion: canonicalQuaternion(pose.quaternion) });
  // three.js stores column-major; transpose to our row-major convention.
  return m.transpose().toArray();
}

/** Pose from a 4x4 row-major rigid transform. */
export function poseFromMatrix(rowMajor: ArrayLike<number>): Pose {
  assertFiniteArray(rowMajor, 16, 'matrix');
  return poseFromMatrix4(new Matrix4().fromArray(Array.from(rowMajor)).transpose());
}

/** Rotates a vector by a quaternion `[x, y, z, w]`. */
export function rotateVector(q: Quat, v: Vec3): Vec3 {
  const r = new Vector3(...v).applyQuaternion(new Quaternion(q[0], q[1], q[2], q[3]));
  return [r.x, r.y, r.z];
}

/** Angle in radians between two rotations. */
export function quaternionAngle(a: Quat, b: Quat): number {
  const d = Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]);
  return 2 * Math.acos(Math.min(1, d));
}

/** Validates a 4x4 row-major matrix and returns it as a Float64Array. */
export function checkedMatrix4(m: ArrayLike<number> | undefined, field: string): Float64Array {
  assertFiniteArray(m, 16, field);
  const out = Float64Array.from(m as ArrayLike<number>);
  if (Math.abs(out[12]) > 1e-9 || Math.abs(out[13]) > 1e-9 || Math.abs(out[14]) > 1e-9 || Math.abs(out[15] - 1) > 1e-9) {
    throw invalidArgument(field, 'last row must be [0, 0, 0, 1] (a rigid transform, row-major)');
  }
  return out;
}
