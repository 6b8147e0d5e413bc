import { PNG } from 'pngjs';
import { rgbFromRgba } from '../core/png.js';

/**
 * The three image encodings of a dataset, on pngjs: 8-bit RGB colour (written by core/png.ts), and 16-bit grayscale for
 * millimetre depth and object ids. pngjs writes 16-bit grayscale exactly (checked by the
 * dataset tests) and decodes everything to RGBA; we read back channel 0.
 * Decoding errors are thrown as plain Errors; the loader turns them into CORRUPT_FILE.
 */

const COLOUR_TYPE_GRAY = 0;
const COLOUR_TYPE_RGB = 2;

export function encodeGray16Png(width: number, height: number, values: Uint16Array): Buffer {
  // pngjs views `data.buffer` from offset 0 as 16-bit samples in platform order: hand it a
  // fresh, exactly sized copy.
  const copy = new Uint16Array(values);
  return PNG.sync.write(
    { width, height, data: Buffer.from(copy.buffer) } as PNG,
    { colorType: COLOUR_TYPE_GRAY, inputColorType: COLOUR_TYPE_GRAY, inputHasAlpha: false, bitDepth: 16 },
  );
}

interface Decoded {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  data: ArrayLike<number>;
}

function decode(bytes: Uint8Array): Decoded {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true }) as unknown as Decoded;
  return png;
}

function checkShape(png: Decoded, width: number, height: number, bitDepth: number, colorType: number, kind: string): void {
  if (png.depth !== bitDepth || png.colorType !== colorType) {
    throw new Error(`expected ${kind}, got bit depth ${png.depth} colour type ${png.colorType}`);
  }
  if (png.width !== width || png.height !== height) {
    throw new Error(`expected ${width}x${height} pixels, got ${png.width}x${png.height}`);
  }
}

export function decodeRgbPng(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const png = decode(bytes);
  checkShape(png, width, height, 8, COLOUR_TYPE_RGB, '8-bit RGB');
  return rgbFromRgba(png.data, width * height);
}

export function decodeGray16Png(bytes: Uint8Array, width: number, height: number): Uint16Array {
  const png = decode(bytes);
  checkShape(png, width, height, 16, COLOUR_TYPE_GRAY, '16-bit grayscale');
  const out = new Uint16Array(width * height);
  for (let p = 0; p < out.length; p++) out[p] = png.data[p * 4];
  return out;
}
