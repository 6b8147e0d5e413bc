import {
  assertFiniteNumber,
  assertPositiveInteger,
  checkedMatrix4,
  invalidArgument,
  type CameraFrame,
} from '../core/index.js';
import { checkBounds, type SceneBounds } from './bounds.js';
import { allocatePointCloud, type PointCloud } from './point-cloud.js';

export interface BackProjectOptions {
  /** Keep only points inside these bounds (closed box). */
  bounds?: SceneBounds;
  /** Reuse this cloud's buffers when they are large enough (avoids allocation per frame). */
  out?: PointCloud;
}

/** Checks a camera frame's shapes and numbers; returns its worldFromCamera as Float64Array. */
export function validateCameraFrame(frame: CameraFrame, field = 'frame'): Float64Array {
  if (!frame || typeof frame !== 'object') throw invalidArgument(field, 'must be a CameraFrame object');
  assertPositiveInteger(frame.width, `${field}.width`);
  assertPositiveInteger(frame.height, `${field}.height`);
  const n = frame.width * frame.height;
  if (!(frame.rgb instanceof Uint8Array)) throw invalidArgument(`${field}.rgb`, 'must be a Uint8Array');
  if (frame.rgb.length !== n * 3) {
    throw invalidArgument(`${field}.rgb`, `length ${frame.rgb.length} != width*height*3 = ${n * 3}`);
  }
  if (!(frame.depthMetres instanceof Float32Array)) {
    throw invalidArgument(`${field}.depthMetres`, 'must be a Float32Array in metres (use depthFromMillimetres for 16UC1)');
  }
  if (frame.depthMetres.length !== n) {
    throw invalidArgument(`${field}.depthMetres`, `length ${frame.depthMetres.length} != width*height = ${n}`);
  }
  if (frame.mask !== undefined && frame.mask.length !== n) {
    throw invalidArgument(`${field}.mask`, `length ${frame.mask.length} != width*height = ${n}`);
  }
  const k = frame.intrinsics;
  if (!k || typeof k !== 'object') throw invalidArgument(`${field}.intrinsics`, 'must be {fx, fy, cx, cy}');
  for (const key of ['fx', 'fy', 'cx', 'cy'] as const) assertFiniteNumber(k[key], `${field}.intrinsics.${key}`);
  if (k.fx <= 0) throw invalidArgument(`${field}.intrinsics.fx`, `must be > 0, got ${k.fx}`);
  if (k.fy <= 0) throw invalidArgument(`${field}.intrinsics.fy`, `must be > 0, got ${k.fy}`);
  return checkedMatrix4(frame.worldFromCamera, `${field}.worldFromCamera`);
}

/** 16-bit millimetre depth (ROS 16UC1) to metres; 0 stays 0 (no reading). */
export function depthFromMillimetres(depthMillimetres: Uint16Array, out?: Float32Array): Float32Array {
  if (!(depthMillimetres instanceof Uint16Array)) throw invalidArgument('depthMillimetres', 'must be a Uint16Array');
  const res = out && out.length === depthMillimetres.length ? out : new Float32Array(depthMillimetres.length);
  for (let i = 0; i < depthMillimetres.length; i++) res[i] = depthMillimetres[i] / 1000;
  return res;
}

/** Metres to 16-bit millimetres, rounding; no reading and out-of-range (> 65.535 m) become 0. */
export function depthToMillimetres(depthMetres: Float32Array, out?: Uint16Array): Uint16Array {
  const res = out && out.length === depthMetres.length ? out : new Uint16Array(depthMetres.length);
  for (let i = 0; i < depthMetres.length; i++) {
    const d = depthMetres[i];
    const mm = Math.round(d * 1000);
    res[i] = Number.isFinite(d) && d > 0 && mm <= 65535 ? mm : 0;
  }
  return res;
}

/**
 * Back-projects several calibrated RGB-D frames into one coloured world-frame cloud. Pixel
 * (u, v) = (column, row) with depth z becomes camera point ((u - cx) z / fx, (v - cy) z / fy, z)
 * in the ROS optical frame, then `worldFromCamera` maps it to the world. Readings that are 0 or
 * non-finite are dropped, and with `bounds` so are points outside them.
 */
export function backProject(frames: CameraFrame | readonly CameraFrame[], options: BackProjectOptions = {}): PointCloud {
  const list = Array.isArray(frames) ? (frames as readonly CameraFrame[]) : [frames as CameraFrame];
  const matrices = list.map((f, i) => validateCameraFrame(f, list.length === 1 ? 'frame' : `frames[${i}]`));
  const bounds = options.bounds === undefined ? undefined : checkBounds(options.bounds);
  let capacity = 0;
  for (const f of list) capacity += f.width * f.height;
  const out = options.out && options.out.positions.length >= capacity * 3 ? options.out : allocatePointCloud(capacity);
  out.count = 0;
  for (let c = 0; c < list.length; c++) projectOne(list[c], matrices[c], bounds, out);
  return out;
}

// Hot loop (65k points per call): plain typed-array arithmetic, per-row/column factors hoisted.
function projectOne(frame: CameraFrame, m: Float64Array, bounds: SceneBounds | undefined, out: PointCloud): void {
  const { width, height, depthMetres: depth, rgb } = frame;
  const { fx, fy, cx, cy } = frame.intrinsics;
  const pos = out.positions;
  const col = out.colours;
  let n = out.count;
  const [xLo, yLo, zLo, xHi, yHi, zHi] = bounds ?? [-Infinity, -Infinity, -Infinity, Infinity, Infinity, Infinity];
  for (let v = 0; v < height; v++) {
    const ry = (v - cy) / fy;
    const row = v * width;
    for (let u = 0; u < width; u++) {
      const z = depth[row + u];
      if (!(z > 0 && z < Infinity)) continue;
      const x = ((u - cx) / fx) * z;
      const y = ry * z;
      const wx = m[0] * x + m[1] * y + m[2] * z + m[3];
      const wy = m[4] * x + m[5] * y + m[6] * z + m[7];
      const wz = m[8] * x + m[9] * y + m[10] * z + m[11];
      if (!(wx >= xLo && wx <= xHi && wy >= yLo && wy <= yHi && wz >= zLo && wz <= zHi)) continue;
      const o = n * 3;
      const p = (row + u) * 3;
      pos[o] = wx;
      pos[o + 1] = wy;
      pos[o + 2] = wz;
      col[o] = rgb[p];
      col[o + 1] = rgb[p + 1];
      col[o + 2] = rgb[p + 2];
      n++;
    }
  }
  out.count = n;
}
