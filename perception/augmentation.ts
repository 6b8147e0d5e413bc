import { Quaternion, Vector3 } from 'three';
import {
  assertFiniteArray,
  assertFiniteNumber,
  assertPositiveInteger,
  canonicalQuaternion,
  invalidArgument,
  PeractError,
  type Action,
  type Rng,
  type Vec3,
} from '../core/index.js';
import { checkBounds, PERACT_BOUNDS, type SceneBounds } from './bounds.js';
import { allocatePointCloud, type PointCloud } from './point-cloud.js';

export interface Se3AugmentationOptions {
  bounds?: SceneBounds;
  /** Half-range of the uniform translation per axis (PerAct: 0.125 of a 1 m cube). */
  translationRangeMetres?: Vec3;
  /** Half-range of the yaw perturbation (PerAct: 45 degrees). */
  yawRangeDeg?: number;
  /** Yaw is drawn in whole steps of this size (PerAct: the 5 degree rotation resolution). */
  yawStepDeg?: number;
  /** Give up after this many perturbations that push the action out of bounds. */
  maxTries?: number;
}

export interface Se3Augmentation {
  cloud: PointCloud;
  action: Action;
  translationMetres: Vec3;
  yawRad: number;
}

/**
 * PerAct's SE(3) augmentation: a yaw about the world z axis through the action's position, then a
 * translation, applied to the points and the action alike:
 * `p' = Rz(yaw) (p - a) + a + t`, action orientation `R' = Rz(yaw) R`. Translations are uniform in
 * +-range per axis, yaw a whole number of steps in +-yawRange. A perturbation that moves the action
 * outside the bounds is redrawn; after `maxTries` the call fails with AUGMENTATION_FAILED.
 *
 * PerAct's own code post-multiplies the action's rotation (a yaw about the gripper's axis) while
 * it rotates the points about world z; the two agree only for a vertical gripper. Here both move
 * by the same rigid transform, so the label stays consistent with the scene.
 */
export function augmentSe3(
  cloud: PointCloud,
  action: Action,
  rng: Rng,
  options: Se3AugmentationOptions = {},
  out?: PointCloud,
): Se3Augmentation {
  const bounds = checkBounds(options.bounds ?? PERACT_BOUNDS);
  const range = options.translationRangeMetres ?? [0.125, 0.125, 0.125];
  assertFiniteArray(range, 3, 'translationRangeMetres');
  const yawRangeDeg = options.yawRangeDeg ?? 45;
  const yawStepDeg = options.yawStepDeg ?? 5;
  assertFiniteNumber(yawRangeDeg, 'yawRangeDeg');
  assertFiniteNumber(yawStepDeg, 'yawStepDeg');
  if (yawStepDeg <= 0) throw invalidArgument('yawStepDeg', `must be > 0, got ${yawStepDeg}`);
  const maxTries = options.maxTries ?? 100;
  assertPositiveInteger(maxTries, 'maxTries');
  assertFiniteArray(action?.positionMetres, 3, 'action.positionMetres');
  const q = canonicalQuaternion(action.quaternion, 'action.quaternion');

  const a = action.positionMetres;
  const yawSteps = Math.floor(yawRangeDeg / yawStepDeg);
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const t: Vec3 = [rng.uniform(-range[0], range[0]), rng.uniform(-range[1], range[1]), rng.uniform(-range[2], range[2])];
    const yawRad = (rng.int(-yawSteps, yawSteps) * yawStepDeg * Math.PI) / 180;
    const moved: Vec3 = [a[0] + t[0], a[1] + t[1], a[2] + t[2]];
    if (!insideBounds(moved, bounds)) continue;
    const yawQ = new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), yawRad);
    const rotated = yawQ.multiply(new Quaternion(q[0], q[1], q[2], q[3]));
    return {
      cloud: transformCloud(cloud, a, yawRad, t, out),
      action: { ...action, positionMetres: moved, quaternion: canonicalQuaternion([rotated.x, rotated.y, rotated.z, rotated.w]) },
      translationMetres: t,
      yawRad,
    };
  }
  throw new PeractError('AUGMENTATION_FAILED', `no perturbation kept the action inside the bounds after ${maxTries} tries`, {
    field: 'action.positionMetres',
  });
}

function insideBounds(p: Vec3, b: SceneBounds): boolean {
  return p[0] >= b[0] && p[0] <= b[3] && p[1] >= b[1] && p[1] <= b[4] && p[2] >= b[2] && p[2] <= b[5];
}

// Hot loop over every point: plain arithmetic on typed arrays.
function transformCloud(cloud: PointCloud, pivot: Vec3, yawRad: number, t: Vec3, out?: PointCloud): PointCloud {
  const n = cloud.count;
  const res = out && out !== cloud && out.positions.length >= n * 3 ? out : allocatePointCloud(n);
  const c = Math.cos(yawRad);
  const s = Math.sin(yawRad);
  const src = cloud.positions;
  const dst = res.positions;
  for (let i = 0; i < n * 3; i += 3) {
    const x = src[i] - pivot[0];
    const y = src[i + 1] - pivot[1];
    dst[i] = c * x - s * y + pivot[0] + t[0];
    dst[i + 1] = s * x + c * y + pivot[1] + t[1];
    dst[i + 2] = src[i + 2] + t[2];
  }
  res.colours.set(cloud.colours.subarray(0, n * 3));
  res.count = n;
  return res;
}
