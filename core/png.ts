import { PNG } from 'pngjs';

/**
 * The one 8-bit RGB PNG encoder: pictures (viz), dataset colour images and rosbridge's PNG
 * compression (bridge/server/wire.ts) all write through it.
 */
export function encodeRgbPng(width: number, height: number, rgb: Uint8Array): Buffer {
  const data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  // pngjs's typings want a PNG instance; its sync writer only reads width, height and data.
  return PNG.sync.write({ width, height, data } as PNG, { colorType: 2, inputColorType: 2, inputHasAlpha: false, bitDepth: 8 });
}

/** The RGB bytes of pngjs's decoded RGBA pixels (alpha dropped). */
export function rgbFromRgba(rgba: ArrayLike<number>, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0, q = 0; p < out.length; p += 3, q += 4) {
    out[p] = rgba[q];
    out[p + 1] = rgba[q + 1];
    out[p + 2] = rgba[q + 2];
  }
  return out;
}
