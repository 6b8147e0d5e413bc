import { canonicalQuaternion, invalidArgument, type CameraFrame, type CameraIntrinsics, type Pose } from '../../core/index.js';

/**
 * Conversions between the runtime's types and ROS messages, used by the server (building what
 * it publishes) and by RosEnv (reading what any robot publishes). Readers are lenient about
 * spelling: ROS 1 (`K`, `{secs, nsecs}`) and ROS 2 (`k`, `{sec, nanosec}`), bytes as base64
 * (JSON), Uint8Array (CBOR) or number arrays.
 */

export interface RosTime {
  sec: number;
  nanosec: number;
}

export function rosTimeFromMs(ms: number): RosTime {
  const sec = Math.floor(ms / 1000);
  return { sec, nanosec: Math.round((ms - sec * 1000) * 1e6) % 1_000_000_000 };
}

/** Seconds of a ROS 1 or ROS 2 time; NaN when it is not a time. */
export function secondsOf(stamp: unknown): number {
  if (!stamp || typeof stamp !== 'object') return Number.NaN;
  const s = stamp as Record<string, unknown>;
  const sec = s.sec ?? s.secs;
  const nsec = s.nanosec ?? s.nsecs ?? 0;
  if (typeof sec !== 'number' || typeof nsec !== 'number') return Number.NaN;
  return sec + nsec / 1e9;
}

export function header(frameId: string, stamp: RosTime): { stamp: RosTime; frame_id: string } {
  return { stamp, frame_id: frameId };
}

export function poseMsg(pose: Pose): Record<string, unknown> {
  const [x, y, z] = pose.positionMetres;
  const [qx, qy, qz, qw] = pose.quaternion;
  return { position: { x, y, z }, orientation: { x: qx, y: qy, z: qz, w: qw } };
}

/** geometry_msgs/Pose (or Transform, with `translation`/`rotation`) to a Pose. */
export function poseFromMsg(msg: unknown, field = 'pose'): Pose {
  if (!msg || typeof msg !== 'object') throw invalidArgument(field, 'must be a geometry_msgs/Pose');
  const m = msg as Record<string, Record<string, unknown> | undefined>;
  const p = m.position ?? m.translation;
  const q = m.orientation ?? m.rotation;
  if (!p || !q) throw invalidArgument(field, 'needs position/orientation (or translation/rotation)');
  const position = [p.x, p.y, p.z].map(Number) as [number, number, number];
  if (!position.every(Number.isFinite)) throw invalidArgument(`${field}.position`, 'must be finite');
  return { positionMetres: position, quaternion: canonicalQuaternion([q.x, q.y, q.z, q.w].map(Number), `${field}.orientation`) };
}

export function transformMsg(parent: string, child: string, pose: Pose, stamp: RosTime): Record<string, unknown> {
  const [x, y, z] = pose.positionMetres;
  const [qx, qy, qz, qw] = pose.quaternion;
  return { header: header(parent, stamp), child_frame_id: child, transform: { translation: { x, y, z }, rotation: { x: qx, y: qy, z: qz, w: qw } } };
}

/** sensor_msgs/Image of a frame's colour (rgb8) or depth (32FC1, metres, little-endian). */
export function imageMsg(frame: CameraFrame, kind: 'colour' | 'depth', frameId: string, stamp: RosTime): Record<string, unknown> {
  const base = { header: header(frameId, stamp), height: frame.height, width: frame.width, is_bigendian: 0 };
  if (kind === 'colour') return { ...base, encoding: 'rgb8', step: frame.width * 3, data: frame.rgb };
  const d = frame.depthMetres;
  // Views, not copies: the host is little-endian (x86, ARM), as is_bigendian 0 says.
  return { ...base, encoding: '32FC1', step: frame.width * 4, data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
}

export function cameraInfoMsg(frame: CameraFrame, frameId: string, stamp: RosTime): Record<string, unknown> {
  const { fx, fy, cx, cy } = frame.intrinsics;
  return {
    header: header(frameId, stamp),
    height: frame.height,
    width: frame.width,
    distortion_model: 'plumb_bob',
    d: [0, 0, 0, 0, 0],
    k: [fx, 0, cx, 0, fy, cy, 0, 0, 1],
    r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    p: [fx, 0, cx, 0, 0, fy, cy, 0, 0, 0, 1, 0],
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
}

/** Intrinsics from CameraInfo's K (ROS 1) or k (ROS 2), row-major 3x3. */
export function intrinsicsFromCameraInfo(msg: unknown, field = 'camera_info'): CameraIntrinsics & { width: number; height: number } {
  if (!msg || typeof msg !== 'object') throw invalidArgument(field, 'must be a sensor_msgs/CameraInfo');
  const m = msg as Record<string, unknown>;
  const k = (m.k ?? m.K) as ArrayLike<number> | undefined;
  if (!k || typeof k !== 'object' || k.length !== 9) throw invalidArgument(`${field}.k`, 'must hold 9 numbers (K in ROS 1, k in ROS 2)');
  const [fx, , cx, , fy, cy] = Array.from(k, Number);
  if (!(fx > 0) || !(fy > 0) || !Number.isFinite(cx) || !Number.isFinite(cy)) throw invalidArgument(`${field}.k`, `needs fx, fy > 0 and finite cx, cy, got ${Array.from(k).join(', ')}`);
  return { fx, fy, cx, cy, width: Number(m.width), height: Number(m.height) };
}

/** The bytes of a uint8[] field, whichever way they travelled. */
export function bytesOf(data: unknown, field: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data, 'base64'));
  if (Array.isArray(data)) return Uint8Array.from(data as number[]);
  throw invalidArgument(field, 'must be bytes (base64 text, byte string or number array)');
}

interface ImageLike {
  width: number;
  height: number;
  encoding: string;
  step: number;
  bigEndian: boolean;
  data: Uint8Array;
}

function imageLike(msg: unknown, field: string): ImageLike {
  if (!msg || typeof msg !== 'object') throw invalidArgument(field, 'must be a sensor_msgs/Image');
  const m = msg as Record<string, unknown>;
  const width = Number(m.width);
  const height = Number(m.height);
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) throw invalidArgument(`${field}.width`, `bad image size ${String(m.width)}x${String(m.height)}`);
  if (typeof m.encoding !== 'string') throw invalidArgument(`${field}.encoding`, 'must be a string');
  const data = bytesOf(m.data, `${field}.data`);
  const step = Number(m.step);
  if (!Number.isInteger(step) || step < 1 || step * height > data.length) throw invalidArgument(`${field}.step`, `step ${String(m.step)} x height ${height} does not fit ${data.length} bytes`);
  return { width, height, encoding: m.encoding.toLowerCase(), step, bigEndian: Boolean(m.is_bigendian), data };
}

/** H*W*3 RGB from rgb8, bgr8, rgba8, bgra8 or mono8. */
export function decodeColour(msg: unknown, field = 'image'): { width: number; height: number; rgb: Uint8Array } {
  const img = imageLike(msg, field);
  const layouts: Record<string, { channels: number; r: number; g: number; b: number }> = {
    rgb8: { channels: 3, r: 0, g: 1, b: 2 },
    bgr8: { channels: 3, r: 2, g: 1, b: 0 },
    rgba8: { channels: 4, r: 0, g: 1, b: 2 },
    bgra8: { channels: 4, r: 2, g: 1, b: 0 },
    mono8: { channels: 1, r: 0, g: 0, b: 0 },
  };
  const layout = layouts[img.encoding];
  if (!layout) throw invalidArgument(`${field}.encoding`, `colour encoding ${img.encoding} is not supported (rgb8, bgr8, rgba8, bgra8, mono8)`);
  if (img.step < img.width * layout.channels) throw invalidArgument(`${field}.step`, `${img.step} < width x ${layout.channels}`);
  const { width, height, step, data } = img;
  const rgb = new Uint8Array(width * height * 3);
  if (img.encoding === 'rgb8' && step === width * 3) {
    rgb.set(data.subarray(0, rgb.length));
    return { width, height, rgb };
  }
  const c = layout.channels;
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const i = v * step + u * c;
      const o = (v * width + u) * 3;
      rgb[o] = data[i + layout.r];
      rgb[o + 1] = data[i + layout.g];
      rgb[o + 2] = data[i + layout.b];
    }
  }
  return { width, height, rgb };
}

/** H*W depth in metres from 32FC1 (metres) or 16UC1 / mono16 (millimetres); 0 = no reading. */
export function decodeDepth(msg: unknown, field = 'depth'): { width: number; height: number; depthMetres: Float32Array } {
  const img = imageLike(msg, field);
  const { width, height, step, data, bigEndian } = img;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(width * height);
  if (img.encoding === '32fc1') {
    if (step < width * 4) throw invalidArgument(`${field}.step`, `${step} < width x 4`);
    for (let v = 0; v < height; v++) for (let u = 0; u < width; u++) out[v * width + u] = view.getFloat32(v * step + u * 4, !bigEndian);
  } else if (img.encoding === '16uc1' || img.encoding === 'mono16') {
    if (step < width * 2) throw invalidArgument(`${field}.step`, `${step} < width x 2`);
    for (let v = 0; v < height; v++) for (let u = 0; u < width; u++) out[v * width + u] = view.getUint16(v * step + u * 2, !bigEndian) / 1000;
  } else {
    throw invalidArgument(`${field}.encoding`, `depth encoding ${img.encoding} is not supported (32FC1 metres, 16UC1 millimetres)`);
  }
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]) || out[i] < 0) out[i] = 0;
  return { width, height, depthMetres: out };
}
