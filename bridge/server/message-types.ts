/**
 * The ROS message and service types the bridge knows, written the way `.msg` files are, and a
 * checker that turns a received message into the canonical form (ROS 2 spellings, typed bytes)
 * or names the first field that does not fit.
 *
 * Why a registry instead of trusting clients: rosbridge_suite converts messages through the
 * real ROS type and only logs failures; this server has no ROS underneath, so the registry is
 * what lets it answer a mismatched message with a `status` naming the field.
 *
 * The project's own types (peract_msgs) are defined by the ROS interface files in
 * msgs/peract_msgs/ and come here through bridge/server/peract-msgs.generated.ts (`npm run msgs`); the
 * standard ROS types the bridge uses are written out below.
 */

import { PERACT_MESSAGES, PERACT_SERVICES } from './peract-msgs.generated.js';

/** One field: name, type in .msg syntax (`float64[9]`, `uint8[]`, `geometry_msgs/Point[]`), spellings also accepted. */
interface FieldDef {
  name: string;
  type: string;
  /** Other spellings accepted on input (ROS 1 `K` for ROS 2 `k`). */
  aliases?: string[];
  /** Accepted but not filled in when missing (ROS 1 `header.seq`). */
  optional?: boolean;
}

type MessageDef = readonly FieldDef[];

const f = (name: string, type: string, aliases?: string[]): FieldDef => ({ name, type, ...(aliases ? { aliases } : {}) });

const MESSAGES: Record<string, MessageDef> = {
  'std_msgs/Header': [{ name: 'seq', type: 'uint32', optional: true }, f('stamp', 'time'), f('frame_id', 'string')],
  'std_msgs/String': [f('data', 'string')],
  'std_msgs/Bool': [f('data', 'bool')],
  'std_msgs/Float64': [f('data', 'float64')],
  'std_msgs/Int32': [f('data', 'int32')],
  'std_msgs/Empty': [],
  'geometry_msgs/Point': [f('x', 'float64'), f('y', 'float64'), f('z', 'float64')],
  'geometry_msgs/Vector3': [f('x', 'float64'), f('y', 'float64'), f('z', 'float64')],
  'geometry_msgs/Quaternion': [f('x', 'float64'), f('y', 'float64'), f('z', 'float64'), f('w', 'float64')],
  'geometry_msgs/Pose': [f('position', 'geometry_msgs/Point'), f('orientation', 'geometry_msgs/Quaternion')],
  'geometry_msgs/PoseStamped': [f('header', 'std_msgs/Header'), f('pose', 'geometry_msgs/Pose')],
  'geometry_msgs/Transform': [f('translation', 'geometry_msgs/Vector3'), f('rotation', 'geometry_msgs/Quaternion')],
  'geometry_msgs/TransformStamped': [f('header', 'std_msgs/Header'), f('child_frame_id', 'string'), f('transform', 'geometry_msgs/Transform')],
  'tf2_msgs/TFMessage': [f('transforms', 'geometry_msgs/TransformStamped[]')],
  'sensor_msgs/Image': [
    f('header', 'std_msgs/Header'),
    f('height', 'uint32'),
    f('width', 'uint32'),
    f('encoding', 'string'),
    f('is_bigendian', 'uint8'),
    f('step', 'uint32'),
    f('data', 'uint8[]'),
  ],
  'sensor_msgs/RegionOfInterest': [f('x_offset', 'uint32'), f('y_offset', 'uint32'), f('height', 'uint32'), f('width', 'uint32'), f('do_rectify', 'bool')],
  'sensor_msgs/CameraInfo': [
    f('header', 'std_msgs/Header'),
    f('height', 'uint32'),
    f('width', 'uint32'),
    f('distortion_model', 'string'),
    f('d', 'float64[]', ['D']),
    f('k', 'float64[9]', ['K']),
    f('r', 'float64[9]', ['R']),
    f('p', 'float64[12]', ['P']),
    f('binning_x', 'uint32'),
    f('binning_y', 'uint32'),
    f('roi', 'sensor_msgs/RegionOfInterest'),
  ],
  'sensor_msgs/JointState': [f('header', 'std_msgs/Header'), f('name', 'string[]'), f('position', 'float64[]'), f('velocity', 'float64[]'), f('effort', 'float64[]')],
  // peract_msgs: generated from msgs/peract_msgs/msg/*.msg (npm run msgs).
  ...PERACT_MESSAGES,
};

/** Service types: request and response fields. */
const SERVICES: Record<string, { request: MessageDef; response: MessageDef }> = {
  'std_srvs/Trigger': { request: [], response: [f('success', 'bool'), f('message', 'string')] },
  // peract_msgs: generated from msgs/peract_msgs/srv/*.srv (npm run msgs).
  ...PERACT_SERVICES,
  'rosapi/Topics': { request: [], response: [f('topics', 'string[]'), f('types', 'string[]')] },
  'rosapi/Services': { request: [], response: [f('services', 'string[]')] },
  'rosapi/TopicType': { request: [f('topic', 'string')], response: [f('type', 'string')] },
  'rosapi/ServiceType': { request: [f('service', 'string')], response: [f('type', 'string')] },
  'rosapi/TopicsForType': { request: [f('type', 'string')], response: [f('topics', 'string[]')] },
  'rosapi/ServicesForType': { request: [f('type', 'string')], response: [f('services', 'string[]')] },
};

/** `sensor_msgs/msg/Image` (ROS 2) and `sensor_msgs/Image` (ROS 1) name the same type. */
export function canonicalTypeName(type: string): string {
  return type.replace('/msg/', '/').replace('/srv/', '/');
}

export function isKnownMessageType(type: string): boolean {
  return Object.hasOwn(MESSAGES, canonicalTypeName(type));
}

export function isKnownServiceType(type: string): boolean {
  return Object.hasOwn(SERVICES, canonicalTypeName(type));
}

/** A message type's fields as `.msg` lines would give them (`float64[2] finger_widths`), for docs and their tests. */
export function messageFields(type: string): { name: string; type: string }[] {
  const def = MESSAGES[canonicalTypeName(type)];
  if (!def) throw new MessageMismatch('', `unknown message type "${type}"`);
  return def.filter((d) => !d.optional).map((d) => ({ name: d.name, type: d.type }));
}

/** A service type's request and response fields. */
export function serviceFields(type: string): { request: { name: string; type: string }[]; response: { name: string; type: string }[] } {
  const def = SERVICES[canonicalTypeName(type)];
  if (!def) throw new MessageMismatch('', `unknown service type "${type}"`);
  const plain = (fields: MessageDef) => fields.map((d) => ({ name: d.name, type: d.type }));
  return { request: plain(def.request), response: plain(def.response) };
}

/** A message that does not fit its type; `path` names the field (`header.stamp.sec`). */
export class MessageMismatch extends Error {
  constructor(readonly path: string, problem: string) {
    super(`${path || 'message'}: ${problem}`);
    this.name = 'MessageMismatch';
  }
}

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** Depth of nested messages accepted; deeper input is hostile, not a ROS message. */
const MAX_DEPTH = 16;

/** Checks `msg` against message type `type`; returns a fresh canonical copy (missing fields defaulted). */
export function checkMessage(type: string, msg: unknown): Record<string, unknown> {
  const def = MESSAGES[canonicalTypeName(type)];
  if (!def) throw new MessageMismatch('', `unknown message type "${type}"`);
  return checkFields(def, msg, '', 0);
}

/** Checks a service request (`part` 'request') or response against service type `type`. */
export function checkServicePart(type: string, part: 'request' | 'response', value: unknown): Record<string, unknown> {
  const def = SERVICES[canonicalTypeName(type)];
  if (!def) throw new MessageMismatch('', `unknown service type "${type}"`);
  return checkFields(def[part], value ?? {}, '', 0);
}

function checkFields(def: MessageDef, value: unknown, path: string, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new MessageMismatch(path, 'nested too deeply');
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new MessageMismatch(path, `must be an object, got ${kindOf(value)}`);
  }
  const input = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const field of def) {
    const names = [field.name, ...(field.aliases ?? [])];
    const present = names.find((n) => Object.hasOwn(input, n));
    for (const n of names) seen.add(n);
    const fieldPath = path ? `${path}.${field.name}` : field.name;
    if (present === undefined) {
      if (!field.optional) out[field.name] = defaultOf(field.type, fieldPath, depth + 1);
      continue;
    }
    out[field.name] = checkValue(field.type, input[present], path ? `${path}.${present}` : present, depth + 1);
  }
  for (const key of Object.keys(input)) {
    if (!seen.has(key)) throw new MessageMismatch(path ? `${path}.${key}` : key, 'no such field in this type');
  }
  return out;
}

function parseArrayType(type: string): { element: string; fixed: number | null } | null {
  const m = /^(.+)\[(\d*)\]$/.exec(type);
  if (!m) return null;
  return { element: m[1], fixed: m[2] === '' ? null : Number(m[2]) };
}

function defaultOf(type: string, path: string, depth: number): unknown {
  const arr = parseArrayType(type);
  if (arr) {
    if (arr.element === 'uint8') return new Uint8Array(arr.fixed ?? 0);
    return Array.from({ length: arr.fixed ?? 0 }, () => defaultOf(arr.element, path, depth));
  }
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'time' || type === 'duration') return { sec: 0, nanosec: 0 };
  if (type in INT_RANGES || type === 'float32' || type === 'float64') return 0;
  const def = MESSAGES[type];
  if (!def) throw new MessageMismatch(path, `internal: unknown field type ${type}`);
  // Identity rotation, not the all-zero quaternion, is the useful default (as in ROS 2).
  if (type === 'geometry_msgs/Quaternion') return { x: 0, y: 0, z: 0, w: 1 };
  return checkFields(def, {}, path, depth);
}

function checkValue(type: string, value: unknown, path: string, depth: number): unknown {
  const arr = parseArrayType(type);
  if (arr) return checkArray(arr.element, arr.fixed, value, path, depth);
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw new MessageMismatch(path, `must be a string, got ${kindOf(value)}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new MessageMismatch(path, `must be a boolean, got ${kindOf(value)}`);
      return value;
    case 'float32':
    case 'float64':
      // JSON cannot carry NaN; rosbridge sends null for it.
      if (value === null) return Number.NaN;
      // CBOR 64-bit integers decode as BigInt.
      if (typeof value === 'bigint') return Number(value);
      if (typeof value !== 'number') throw new MessageMismatch(path, `must be a number, got ${kindOf(value)}`);
      return value;
    case 'time':
    case 'duration':
      return checkTime(value, path);
    default: {
      const range = INT_RANGES[type];
      if (range) {
        // CBOR 64-bit integers decode as BigInt: accepted when the type's range holds them.
        if (typeof value === 'bigint' && value >= BigInt(range[0]) && value <= BigInt(range[1])) return Number(value);
        if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
          throw new MessageMismatch(path, `must be an integer in [${range[0]}, ${range[1]}] (${type}), got ${kindOf(value)}`);
        }
        return value;
      }
      const def = MESSAGES[type];
      if (!def) throw new MessageMismatch(path, `internal: unknown field type ${type}`);
      return checkFields(def, value, path, depth);
    }
  }
}

/** ROS 1 `{secs, nsecs}` and ROS 2 `{sec, nanosec}` both become `{sec, nanosec}`. */
function checkTime(value: unknown, path: string): { sec: number; nanosec: number } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MessageMismatch(path, `must be {sec, nanosec}, got ${kindOf(value)}`);
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!['sec', 'nanosec', 'secs', 'nsecs'].includes(key)) throw new MessageMismatch(`${path}.${key}`, 'no such field in a time (sec/nanosec or secs/nsecs)');
  }
  const sec = v.sec ?? v.secs ?? 0;
  const nanosec = v.nanosec ?? v.nsecs ?? 0;
  if (typeof sec !== 'number' || !Number.isSafeInteger(sec)) throw new MessageMismatch(`${path}.sec`, `must be an integer, got ${kindOf(sec)}`);
  if (typeof nanosec !== 'number' || !Number.isInteger(nanosec) || nanosec < 0 || nanosec >= 1e9) {
    throw new MessageMismatch(`${path}.nanosec`, `must be an integer in [0, 1e9), got ${kindOf(nanosec)}`);
  }
  return { sec, nanosec };
}

function checkArray(element: string, fixed: number | null, value: unknown, path: string, depth: number): unknown {
  if (element === 'uint8') {
    const bytes = toBytes(value, path);
    if (fixed !== null && bytes.length !== fixed) throw new MessageMismatch(path, `must have ${fixed} bytes, got ${bytes.length}`);
    return bytes;
  }
  let items: ArrayLike<unknown>;
  if (Array.isArray(value)) items = value;
  // CBOR clients send numeric arrays as RFC 8746 typed arrays.
  else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) items = value as unknown as ArrayLike<number>;
  else throw new MessageMismatch(path, `must be an array, got ${kindOf(value)}`);
  if (fixed !== null && items.length !== fixed) throw new MessageMismatch(path, `must have ${fixed} elements, got ${items.length}`);
  const out = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = checkValue(element, items[i], `${path}[${i}]`, depth);
  return out;
}

/** uint8[] arrives as base64 (JSON), a byte string (CBOR) or a plain number array. */
function toBytes(value: unknown, path: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) throw new MessageMismatch(path, 'must be base64 (uint8[] in JSON)');
    return new Uint8Array(Buffer.from(value, 'base64'));
  }
  if (Array.isArray(value)) {
    const out = new Uint8Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const b: unknown = value[i];
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) throw new MessageMismatch(`${path}[${i}]`, `must be a byte, got ${kindOf(b)}`);
      out[i] = b;
    }
    return out;
  }
  throw new MessageMismatch(path, `must be bytes (base64 string, byte string or array), got ${kindOf(value)}`);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === 'string') return JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}...` : value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value.toString().slice(0, 30)}n (a 64-bit integer)`;
  return typeof value;
}
