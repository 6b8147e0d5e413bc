import { invalidArgument } from '../core/index.js';
import { checkImage, type Image, type Rgb } from './image.js';

/**
 * A minimal animated GIF89a encoder: one global palette (a 6x6x6 colour cube plus 40 grays, so
 * quantization is a rounding, no palette search), LZW compression, frames that loop forever.
 * Enough for rollout previews; not for photographic quality.
 */

const CUBE_LEVELS = 6;
const CUBE_STEP = 51;
const GRAY_COUNT = 40;
const GRAY_BASE = CUBE_LEVELS ** 3;

/** The 256 palette colours: cube index r*36 + g*6 + b, then 40 grays between the cube's. */
export const GIF_PALETTE: readonly Rgb[] = buildPalette();

function buildPalette(): Rgb[] {
  const palette: Rgb[] = [];
  for (let r = 0; r < CUBE_LEVELS; r++) {
    for (let g = 0; g < CUBE_LEVELS; g++) {
      for (let b = 0; b < CUBE_LEVELS; b++) palette.push([r * CUBE_STEP, g * CUBE_STEP, b * CUBE_STEP]);
    }
  }
  for (let i = 1; i <= GRAY_COUNT; i++) {
    const v = Math.round((i * 255) / (GRAY_COUNT + 1));
    palette.push([v, v, v]);
  }
  return palette;
}

/** The palette index nearest (Euclidean RGB) to a colour. */
export function paletteIndex(r: number, g: number, b: number): number {
  const cr = Math.round(r / CUBE_STEP);
  const cg = Math.round(g / CUBE_STEP);
  const cb = Math.round(b / CUBE_STEP);
  const dr = r - cr * CUBE_STEP;
  const dg = g - cg * CUBE_STEP;
  const db = b - cb * CUBE_STEP;
  const cubeDistance = dr * dr + dg * dg + db * db;
  // The nearest gray to (r, g, b) is the gray level nearest the channel mean.
  const mean = (r + g + b) / 3;
  const gi = Math.min(GRAY_COUNT, Math.max(1, Math.round((mean * (GRAY_COUNT + 1)) / 255)));
  const gv = GIF_PALETTE[GRAY_BASE + gi - 1][0];
  const grayDistance = (r - gv) ** 2 + (g - gv) ** 2 + (b - gv) ** 2;
  return grayDistance < cubeDistance ? GRAY_BASE + gi - 1 : cr * 36 + cg * 6 + cb;
}

class ByteWriter {
  private bytes = new Uint8Array(1 << 16);
  length = 0;

  byte(value: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = value & 0xff;
  }

  u16(value: number): void {
    this.byte(value);
    this.byte(value >> 8);
  }

  ascii(text: string): void {
    for (let i = 0; i < text.length; i++) this.byte(text.charCodeAt(i));
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

const MIN_CODE_SIZE = 8;
const MAX_CODE_SIZE = 12;
const CLEAR = 1 << MIN_CODE_SIZE;
const END = CLEAR + 1;

/**
 * GIF-flavoured LZW of palette indices into data sub-blocks (<= 255 bytes each, then a 0).
 * Codes are packed least significant bit first; the code width grows when the next free code
 * reaches 2^width (checked after each emitted code, as decoders expect), and the table is reset
 * with a clear code when it is full.
 */
function writeLzw(out: ByteWriter, indices: Uint8Array): void {
  const packed = new ByteWriter();
  let bitBuffer = 0;
  let bitCount = 0;
  let codeSize = MIN_CODE_SIZE + 1;
  let next = END + 1;
  const table = new Map<number, number>();
  const emit = (code: number): void => {
    bitBuffer |= code << bitCount;
    bitCount += codeSize;
    while (bitCount >= 8) {
      packed.byte(bitBuffer & 0xff);
      bitBuffer >>>= 8;
      bitCount -= 8;
    }
    if (next >= 1 << codeSize && codeSize < MAX_CODE_SIZE) codeSize++;
  };
  const reset = (): void => {
    table.clear();
    next = END + 1;
    codeSize = MIN_CODE_SIZE + 1;
  };
  emit(CLEAR);
  if (indices.length > 0) {
    let prefix = indices[0];
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i];
      const key = (prefix << 8) | k;
      const found = table.get(key);
      if (found !== undefined) {
        prefix = found;
        continue;
      }
      emit(prefix);
      if (next < 1 << MAX_CODE_SIZE) table.set(key, next++);
      else {
        emit(CLEAR);
        reset();
      }
      prefix = k;
    }
    emit(prefix);
  }
  emit(END);
  if (bitCount > 0) packed.byte(bitBuffer & 0xff);
  const data = packed.result();
  out.byte(MIN_CODE_SIZE);
  for (let at = 0; at < data.length; at += 255) {
    const n = Math.min(255, data.length - at);
    out.byte(n);
    for (let j = 0; j < n; j++) out.byte(data[at + j]);
  }
  out.byte(0);
}

export interface GifOptions {
  /** Time each frame is shown; GIF stores hundredths of a second. Default 500 ms. */
  frameDelayMs?: number;
}

/** Encodes same-sized RGB images as a looping animated GIF89a. */
export function encodeGif(frames: readonly Image[], options: GifOptions = {}): Uint8Array {
  if (!Array.isArray(frames) || frames.length === 0) throw invalidArgument('frames', 'must be a non-empty array of Images');
  frames.forEach((f, i) => checkImage(f, `frames[${i}]`));
  const { width, height } = frames[0];
  if (width > 0xffff || height > 0xffff) throw invalidArgument('frames', `${width}x${height} is larger than GIF allows`);
  frames.forEach((f, i) => {
    if (f.width !== width || f.height !== height) {
      throw invalidArgument(`frames[${i}]`, `is ${f.width}x${f.height}; every frame must be ${width}x${height}`);
    }
  });
  const delayMs = options.frameDelayMs ?? 500;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw invalidArgument('frameDelayMs', `must be >= 0, got ${delayMs}`);
  const delayCs = Math.min(0xffff, Math.round(delayMs / 10));

  const out = new ByteWriter();
  out.ascii('GIF89a');
  out.u16(width);
  out.u16(height);
  out.byte(0xf7); // global colour table, 8-bit colour resolution, 2^(7+1) = 256 entries
  out.byte(0); // background colour index
  out.byte(0); // no aspect ratio
  for (const [r, g, b] of GIF_PALETTE) {
    out.byte(r);
    out.byte(g);
    out.byte(b);
  }
  // NETSCAPE2.0 application extension: loop forever.
  out.byte(0x21);
  out.byte(0xff);
  out.byte(11);
  out.ascii('NETSCAPE2.0');
  out.byte(3);
  out.byte(1);
  out.u16(0);
  out.byte(0);

  const indices = new Uint8Array(width * height);
  for (const frame of frames) {
    for (let p = 0, q = 0; p < indices.length; p++, q += 3) {
      indices[p] = paletteIndex(frame.data[q], frame.data[q + 1], frame.data[q + 2]);
    }
    // Graphic control extension: disposal "do not dispose", the delay, no transparency.
    out.byte(0x21);
    out.byte(0xf9);
    out.byte(4);
    out.byte(0x04);
    out.u16(delayCs);
    out.byte(0);
    out.byte(0);
    // Image descriptor: whole screen, no local colour table, not interlaced.
    out.byte(0x2c);
    out.u16(0);
    out.u16(0);
    out.u16(width);
    out.u16(height);
    out.byte(0);
    writeLzw(out, indices);
  }
  out.byte(0x3b);
  return out.result();
}
