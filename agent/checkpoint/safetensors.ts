/**
 * A small safetensors encoder/decoder (https://github.com/huggingface/safetensors, "Format"):
 * an 8-byte little-endian header length N, N bytes of JSON header padded with spaces so the
 * data starts 8-byte aligned, then the raw little-endian tensor bytes, `data_offsets` relative
 * to the start of the data. Checkpoints hold float32 only, so the decoder knows every dtype's
 * size (to report a foreign file precisely) but returns F32 tensors alone.
 */
import { endianness } from 'node:os';
import { corruptFile, invalidArgument } from '../../core/index.js';
import { checkTensorMap, elementCount, formatShape, type PlainTensor, type TensorMap } from './tensors.js';

/** Bytes per element of every dtype the safetensors format defines. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};

/** The reference implementation refuses larger headers; so do we, before allocating. */
const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN = endianness() === 'LE';

export interface SafetensorsHeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface DecodedSafetensors {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

/**
 * Encodes float32 tensors in map order (the order the network created them, which keeps
 * diffs of headers readable). `metadata` lands in the header's `__metadata__` (strings only).
 */
export function encodeSafetensors(tensors: TensorMap, metadata: Record<string, string> = {}): Uint8Array {
  checkTensorMap(tensors, 'tensors');
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw invalidArgument(`metadata.${key}`, 'must be a string (safetensors metadata is string -> string)');
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const t of tensors.values()) {
    writeFloat32(out, at, t.data);
    at += t.data.length * 4;
  }
  return out;
}

function writeFloat32(out: Uint8Array, at: number, data: Float32Array): void {
  if (LITTLE_ENDIAN) {
    // A byte copy keeps every bit, NaN payloads included.
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
}

function readFloat32(bytes: Uint8Array, at: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (LITTLE_ENDIAN) {
    // Copy into a fresh, aligned buffer: the source may sit at any offset of a pooled Buffer.
    new Uint8Array(out.buffer).set(bytes.subarray(at, at + count * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, count * 4);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * Parses and checks a safetensors file held in memory. Every problem is CORRUPT_FILE naming
 * `path`: truncated length or header, header JSON that does not parse, an unknown or non-F32
 * dtype, offsets that disagree with the shape, overlap, holes, or a data section that is
 * shorter (truncated) or longer than the header says.
 */
export function decodeSafetensors(path: string, bytes: Uint8Array): DecodedSafetensors {
  const fail = (problem: string): never => {
    throw corruptFile(path, `safetensors ${problem}`);
  };
  if (bytes.length < 8) fail(`file is truncated: ${bytes.length} bytes, shorter than the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds ${MAX_HEADER_BYTES} bytes`);
  const n = Number(headerLength);
  if (8 + n > bytes.length) fail(`header is truncated: header length ${n} but only ${bytes.length - 8} bytes follow`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString('utf8');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  const entries: Array<[string, SafetensorsHeaderEntry]> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`__metadata__ is not an object`);
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`__metadata__.${key} is not a string`);
        metadata[key] = value as string;
      }
      continue;
    }
    entries.push([name, checkEntry(name, raw, fail)]);
  }

  // The format requires the data to be indexed entirely, without overlap or holes.
  const byOffset = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let expectedBegin = 0;
  for (const [name, entry] of byOffset) {
    const [begin, end] = entry.data_offsets;
    if (begin !== expectedBegin) {
      fail(`tensor '${name}' starts at byte ${begin} of the data, expected ${expectedBegin} (${begin > expectedBegin ? 'a hole' : 'an overlap'})`);
    }
    expectedBegin = end;
  }
  if (expectedBegin > dataLength) {
    fail(`data is truncated: the header indexes ${expectedBegin} bytes, the file holds ${dataLength} after the header`);
  }
  if (expectedBegin < dataLength) {
    fail(`data has ${dataLength - expectedBegin} bytes after the last tensor that no tensor indexes`);
  }

  const tensors: TensorMap = new Map();
  for (const [name, entry] of entries) {
    if (entry.dtype !== 'F32') fail(`tensor '${name}' has dtype ${entry.dtype}; checkpoints hold F32 tensors only`);
    const count = elementCount(entry.shape);
    const tensor: PlainTensor = { shape: entry.shape, data: readFloat32(bytes, dataStart + entry.data_offsets[0], count) };
    tensors.set(name, tensor);
  }
  return { tensors, metadata };
}

function checkEntry(name: string, raw: unknown, fail: (problem: string) => never): SafetensorsHeaderEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`tensor '${name}' has a header entry that is not an object`);
  const entry = raw as Record<string, unknown>;
  const dtype = entry.dtype;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`);
  const shape = entry.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    fail(`tensor '${name}' has a shape that is not a list of non-negative integers`);
  }
  const offsets = entry.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    fail(`tensor '${name}' has data_offsets that are not [begin, end] with 0 <= begin <= end`);
  }
  const typedShape = shape as number[];
  const [begin, end] = offsets as [number, number];
  const want = elementCount(typedShape) * DTYPE_BYTES[dtype as string];
  if (end - begin !== want) {
    fail(`tensor '${name}' spans ${end - begin} bytes, its dtype ${dtype as string} and shape ${formatShape(typedShape)} need ${want}`);
  }
  return { dtype: dtype as string, shape: typedShape, data_offsets: [begin, end] };
}
