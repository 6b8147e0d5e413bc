import { assertFiniteNumber, assertPositiveInteger, invalidArgument } from '../../core/index.js';
import type { CameraFrame, CameraIntrinsics, Rng } from '../../core/index.js';

/** A camera as the rasterizer takes it, its checks, the frame it renders into, and depth noise. */

export interface RenderCamera {
  name: string;
  width: number;
  height: number;
  intrinsics: CameraIntrinsics;
  /** 4x4 row-major rigid transform, ROS optical camera frame. */
  worldFromCamera: ArrayLike<number>;
  /** Near clipping distance along the optical axis; the rasterizer's default when omitted. */
  nearMetres?: number;
  /** Far clipping distance; the rasterizer's default when omitted. */
  farMetres?: number;
}

/** Additive Gaussian depth noise, std = stdMetres + stdPerMetreSquared * z^2 (structured-light sensors grow ~z^2). */
export interface DepthNoiseOptions {
  rng: Rng;
  stdMetres: number;
  stdPerMetreSquared?: number;
}

export function checkCamera(camera: RenderCamera): { width: number; height: number; intrinsics: CameraIntrinsics } {
  if (!camera) throw invalidArgument('camera', 'must be a camera');
  if (typeof camera.name !== 'string') throw invalidArgument('camera.name', 'must be a string');
  assertPositiveInteger(camera.width, 'camera.width');
  assertPositiveInteger(camera.height, 'camera.height');
  const k = camera.intrinsics;
  if (!k) throw invalidArgument('camera.intrinsics', 'must be {fx, fy, cx, cy}');
  assertFiniteNumber(k.fx, 'camera.intrinsics.fx');
  assertFiniteNumber(k.fy, 'camera.intrinsics.fy');
  assertFiniteNumber(k.cx, 'camera.intrinsics.cx');
  assertFiniteNumber(k.cy, 'camera.intrinsics.cy');
  if (k.fx <= 0) throw invalidArgument('camera.intrinsics.fx', 'must be > 0');
  if (k.fy <= 0) throw invalidArgument('camera.intrinsics.fy', 'must be > 0');
  return { width: camera.width, height: camera.height, intrinsics: k };
}

export function checkClipRange(near: number, far: number, field: string): void {
  assertFiniteNumber(near, `${field}.nearMetres`);
  assertFiniteNumber(far, `${field}.farMetres`);
  if (near <= 0) throw invalidArgument(`${field}.nearMetres`, 'must be > 0');
  if (far <= near) throw invalidArgument(`${field}.farMetres`, 'must be greater than nearMetres');
}

export function prepareFrame(
  camera: RenderCamera,
  width: number,
  height: number,
  k: CameraIntrinsics,
  worldFromCamera: Float64Array,
  target: CameraFrame | undefined,
): CameraFrame {
  const pixels = width * height;
  const intrinsics = { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy };
  const pose = Array.from(worldFromCamera);
  if (
    target &&
    target.width === width &&
    target.height === height &&
    target.rgb?.length === pixels * 3 &&
    target.depthMetres?.length === pixels &&
    target.mask?.length === pixels
  ) {
    target.name = camera.name;
    target.intrinsics = intrinsics;
    target.worldFromCamera = pose;
    return target;
  }
  return {
    name: camera.name,
    width,
    height,
    rgb: new Uint8Array(pixels * 3),
    depthMetres: new Float32Array(pixels),
    intrinsics,
    worldFromCamera: pose,
    mask: new Uint16Array(pixels),
  };
}

export function addDepthNoise(depth: Float32Array, noise: DepthNoiseOptions): void {
  const q = noise.stdPerMetreSquared ?? 0;
  for (let i = 0; i < depth.length; i++) {
    const z = depth[i];
    if (z === 0) continue;
    const noisy = z + noise.rng.normal(0, noise.stdMetres + q * z * z);
    depth[i] = noisy > 0 ? noisy : 0; // a reading pushed behind the sensor is no reading
  }
}
