/**
 * Field checks for the rosbridge v2 ops a client may send. Each failure is a `ProtocolError`
 * whose message is what the client reads in the `status` op answering it.
 */
import { isKnownMessageType, isKnownServiceType } from './message-types.js';

export const CLIENT_OPS = [
  'auth',
  'advertise',
  'unadvertise',
  'publish',
  'subscribe',
  'unsubscribe',
  'call_service',
  'service_response',
  'advertise_service',
  'unadvertise_service',
  'fragment',
  'set_level',
  'status',
] as const;

export type ClientOp = (typeof CLIENT_OPS)[number];

export class ProtocolError extends Error {
  constructor(message: string, readonly id?: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** A received frame, known to be an object with a string `op`. */
export type RawOp = Record<string, unknown> & { op: string };

export function asOp(value: unknown): RawOp {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new ProtocolError('a rosbridge message must be a JSON object with an "op" field');
  }
  const v = value as Record<string, unknown>;
  if (typeof v.op !== 'string') throw new ProtocolError('missing or non-string "op" field', idOf(v));
  if (!(CLIENT_OPS as readonly string[]).includes(v.op)) {
    throw new ProtocolError(`unknown op "${v.op.slice(0, 40)}" (expected one of ${CLIENT_OPS.join(', ')})`, idOf(v));
  }
  return v as RawOp;
}

/** The message's `id` when it is a usable string (echoed in status replies). */
export function idOf(v: Record<string, unknown>): string | undefined {
  return typeof v.id === 'string' && v.id.length <= 256 ? v.id : undefined;
}

const NAME_RE = /^\/?[A-Za-z][A-Za-z0-9_]*(\/[A-Za-z][A-Za-z0-9_]*)*$/;

/** A topic or service name: ROS graph-name syntax, made absolute. */
export function nameField(v: RawOp, key: 'topic' | 'service'): string {
  const raw = v[key];
  if (typeof raw !== 'string' || raw.length === 0) throw new ProtocolError(`${v.op}: "${key}" must be a non-empty string`, idOf(v));
  if (raw.length > 256 || !NAME_RE.test(raw)) throw new ProtocolError(`${v.op}: "${key}" ${describeValue(raw)} is not a valid ROS name`, idOf(v));
  return raw.startsWith('/') ? raw : `/${raw}`;
}

export function optionalString(v: RawOp, key: string, maxLength = 256): string | undefined {
  const raw = v[key];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' || raw.length > maxLength) throw new ProtocolError(`${v.op}: "${key}" must be a string of at most ${maxLength} characters`, idOf(v));
  return raw;
}

export function optionalNumber(v: RawOp, key: string, { min = 0, max = Number.MAX_SAFE_INTEGER, integer = false } = {}): number | undefined {
  const raw = v[key];
  if (raw === undefined || raw === null) return undefined;
  // CBOR clients may send 64-bit integers, which decode as BigInt.
  const value = typeof raw === 'bigint' && raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ProtocolError(`${v.op}: "${key}" must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${describeValue(raw)}`, idOf(v));
  }
  return value;
}

/**
 * A short description of any received value for an error message. Never throws: hostile input
 * can hold BigInts (CBOR), objects whose `toString` is not a function, or megabytes of text.
 */
export function describeValue(value: unknown, maxLength = 40): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > maxLength ? `${value.slice(0, maxLength)}...` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint': {
      const text = value.toString();
      return `${text.length > maxLength ? `${text.slice(0, maxLength)}...` : text}n`;
    }
    case 'undefined':
      return 'undefined';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `an array of length ${value.length}`;
      if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${value.byteLength} bytes`;
      return 'an object';
    default:
      return typeof value;
  }
}

/** The message of anything thrown, without calling into hostile values. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return typeof err.message === 'string' ? err.message : 'unknown error';
  return describeValue(err, 200);
}

/** The `type` field of advertise / advertise_service: a known message or service type. */
export function typeField(op: RawOp, kind: 'message' | 'service'): string {
  const type = op.type;
  if (typeof type !== 'string' || type.length === 0 || type.length > 256) throw new ProtocolError(`${op.op}: "type" must be a non-empty string`, idOf(op));
  const known = kind === 'message' ? isKnownMessageType(type) : isKnownServiceType(type);
  if (!known) throw new ProtocolError(`${op.op}: unknown ${kind} type ${type}`, idOf(op));
  return type;
}
