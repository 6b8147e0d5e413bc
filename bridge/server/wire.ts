import { Decoder, Encoder } from 'cbor-x';
import { encodeRgbPng } from '../../core/png.js';
import { cborShapeProblem, jsonDepthProblem } from './frame-guard.js';

/**
 * How rosbridge v2 messages travel: JSON text (uint8[] as base64), CBOR binary frames (uint8[]
 * as byte strings, other typed arrays as RFC 8746 tags), PNG (the JSON text packed into the
 * pixels of a PNG image, base64 in a `png` op) and fragments of a long JSON text.
 */

export type Compression = 'none' | 'png' | 'cbor';

/** One WebSocket frame to send: text or binary. */
export type WireFrame = string | Uint8Array;

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false } as ConstructorParameters<typeof Encoder>[0]);
/** Our own decoder: no record structures (cbor-x's shared default could carry them from one client to the next). */
const cborIn = new Decoder({ useRecords: false, mapsAsObjects: true } as ConstructorParameters<typeof Decoder>[0]);

/** Nesting a received frame may have: a ROS message inside an op is under 10 levels deep. */
export const DEFAULT_MAX_NESTING_DEPTH = 32;

/** JSON with Uint8Array as base64 and other typed arrays as number arrays (what rosbridge sends). */
export function toJson(message: unknown): string {
  return JSON.stringify(message, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
    // JSON has no NaN or infinity; rosbridge writes null.
    if (typeof value === 'number' && !Number.isFinite(value)) return null;
    return value;
  });
}

export function toCbor(message: unknown): Uint8Array {
  return cbor.encode(message);
}

/**
 * rosbridge's PNG compression: the JSON text's bytes become the RGB pixels of a near-square
 * image, padded with spaces (JSON ignores trailing whitespace).
 */
export function toPngOp(json: string): string {
  const bytes = Buffer.from(json, 'utf8');
  const pixels = Math.max(1, Math.ceil(bytes.length / 3));
  const width = Math.max(1, Math.floor(Math.sqrt(pixels)));
  const height = Math.ceil(pixels / width);
  const raw = Buffer.alloc(width * height * 3, 0x20);
  bytes.copy(raw);
  const png = encodeRgbPng(width, height, raw);
  return JSON.stringify({ op: 'png', data: png.toString('base64') });
}

/** Splits a JSON text into `fragment` ops of at most `fragmentSize` characters of data each. */
export function fragmentJson(json: string, fragmentSize: number, id: string): string[] {
  const total = Math.ceil(json.length / fragmentSize);
  const out: string[] = [];
  for (let num = 0; num < total; num++) {
    out.push(JSON.stringify({ op: 'fragment', id, data: json.slice(num * fragmentSize, (num + 1) * fragmentSize), num, total }));
  }
  return out;
}

/**
 * Decodes one received frame (text JSON or binary CBOR); throws with a short reason. The
 * frame's nesting is checked before it is parsed (frame-guard.ts), so a hostile shape costs
 * one scan, not a parse.
 */
export function decodeFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean, maxDepth = DEFAULT_MAX_NESTING_DEPTH): unknown {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  if (isBinary) {
    const problem = cborShapeProblem(buf, maxDepth);
    if (problem) throw new Error(`binary frame is not valid CBOR for a rosbridge op (${problem})`);
    try {
      return cborIn.decode(buf);
    } catch (err) {
      throw new Error(`binary frame is not valid CBOR (${String((err as Error).message).slice(0, 80)})`);
    }
  }
  const problem = jsonDepthProblem(buf, maxDepth);
  if (problem) throw new Error(`frame is not valid JSON for a rosbridge op (${problem})`);
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new Error(`frame is not valid JSON (${String((err as Error).message).slice(0, 80)})`);
  }
}

/** The JSON text of a fragmented message, checked like a frame before it is parsed. */
export function decodeJsonText(text: string, maxDepth = DEFAULT_MAX_NESTING_DEPTH): unknown {
  const problem = jsonDepthProblem(Buffer.from(text, 'utf8'), maxDepth);
  if (problem) throw new Error(`not valid JSON for a rosbridge op (${problem})`);
  return JSON.parse(text);
}
