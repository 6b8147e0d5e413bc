import { Matrix4, Vector3 } from 'three';
import { assertFiniteArray, assertFiniteNumber, checkedMatrix4, invalidArgument, type CameraFrame, type Vec3 } from '../core/index.js';

/** Where a world point lands in a camera image. */
export interface ProjectedPoint {
  /** Column, in pixels (pixel i's centre is at u = i, as in ROS CameraInfo). */
  u: number;
  /** Row, in pixels. */
  v: number;
  /** True when the point is in front of the camera (positive depth). */
  inFront: boolean;
  /** Depth along the optical axis. */
  depthMetres: number;
}

/** Projects world points into one camera; inverts `worldFromCamera` once. */
export type Projector = (worldPoint: Vec3) => ProjectedPoint;

export function makeProjector(frame: CameraFrame): Projector {
  if (!frame || typeof frame !== 'object') throw invalidArgument('frame', 'must be a CameraFrame');
  const rowMajor = checkedMatrix4(frame.worldFromCamera, 'frame.worldFromCamera');
  const intrinsics = frame.intrinsics;
  if (!intrinsics || typeof intrinsics !== 'object') throw invalidArgument('frame.intrinsics', 'must be {fx, fy, cx, cy}');
  const { fx, fy, cx, cy } = intrinsics;
  assertFiniteNumber(fx, 'frame.intrinsics.fx');
  assertFiniteNumber(fy, 'frame.intrinsics.fy');
  assertFiniteNumber(cx, 'frame.intrinsics.cx');
  assertFiniteNumber(cy, 'frame.intrinsics.cy');
  // Matrix4.set takes row-major arguments, which is exactly our layout.
  const worldFromCamera = new Matrix4().set(...(Array.from(rowMajor) as Parameters<Matrix4['set']>));
  const cameraFromWorld = worldFromCamera.clone().invert();
  const p = new Vector3();
  return (worldPoint: Vec3): ProjectedPoint => {
    assertFiniteArray(worldPoint, 3, 'worldPoint');
    p.set(worldPoint[0], worldPoint[1], worldPoint[2]).applyMatrix4(cameraFromWorld);
    const inFront = p.z > 1e-9;
    // Behind the camera the division still gives numbers, but they mirror the point: callers
    // must check `inFront` before drawing.
    const z = inFront ? p.z : Math.min(p.z, -1e-9);
    return { u: (fx * p.x) / z + cx, v: (fy * p.y) / z + cy, inFront, depthMetres: p.z };
  };
}

/**
 * Projects a world point into a camera with the pinhole model in the ROS optical frame
 * (+z forward, +x right, +y down): u = fx x/z + cx (column), v = fy y/z + cy (row).
 */
export function projectPoint(frame: CameraFrame, worldPoint: Vec3): ProjectedPoint {
  return makeProjector(frame)(worldPoint);
}
