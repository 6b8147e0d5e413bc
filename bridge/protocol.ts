/**
 * Field checks for the rosbridge v2 ops a client may send. Each failure is a `ProtocolError`
 * whose message is what the client reads in the `status` op answering it.
 */

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
  if (raw.length > 256 || !NAME_RE.test(raw)) throw new ProtocolError(`${v.op}: "${key}" ${JSON.stringify(raw.slice(0, 60))} is not a valid ROS name`, idOf(v));
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
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < min || raw > max || (integer && !Number.isInteger(raw))) {
    throw new ProtocolError(`${v.op}: "${key}" must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(raw)?.slice(0, 40)}`, idOf(v));
  }
  return raw;
}
