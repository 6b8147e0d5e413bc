import { PNG } from 'pngjs';
import { PeractError, assertPositiveInteger, invalidArgument, type CameraFrame } from '../core/index.js';
import { encodeRgbPng, rgbFromRgba } from '../core/png.js';

/**
 * A small RGB raster and the drawing operations the rollout and training pictures need. Every
 * operation clips to the image, so callers may draw shapes that leave it (an axis pointing out
 * of view). These are per-pixel loops over typed arrays on purpose: a three.js scene or a canvas
 * package would be far heavier than a few hundred thousand byte writes.
 */
export interface Image {
  width: number;
  height: number;
  /** width*height*3 bytes, row-major, top row first. */
  data: Uint8Array;
}

/** An RGB colour, 0-255 per channel. */
export type Rgb = readonly [number, number, number];

export function createImage(width: number, height: number, background: Rgb = [0, 0, 0]): Image {
  assertPositiveInteger(width, 'width');
  assertPositiveInteger(height, 'height');
  const data = new Uint8Array(width * height * 3);
  const [r, g, b] = background;
  if (r !== 0 || g !== 0 || b !== 0) {
    for (let i = 0; i < data.length; i += 3) {
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }
  return { width, height, data };
}

export function checkImage(image: Image, field = 'image'): void {
  if (!image || typeof image !== 'object') throw invalidArgument(field, 'must be an Image');
  assertPositiveInteger(image.width, `${field}.width`);
  assertPositiveInteger(image.height, `${field}.height`);
  if (!(image.data instanceof Uint8Array) || image.data.length !== image.width * image.height * 3) {
    throw invalidArgument(`${field}.data`, `must be a Uint8Array of ${image.width}*${image.height}*3 bytes`);
  }
}

export function getPixel(image: Image, x: number, y: number): Rgb {
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= image.width || y >= image.height) {
    throw invalidArgument('x, y', `(${x}, ${y}) is outside the ${image.width}x${image.height} image`);
  }
  const i = (y * image.width + x) * 3;
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
}

/** Sets one pixel; coordinates are rounded down and pixels outside the image are ignored. */
export function setPixel(image: Image, x: number, y: number, colour: Rgb): void {
  const px = Math.floor(x);
  const py = Math.floor(y);
  if (px < 0 || py < 0 || px >= image.width || py >= image.height) return;
  const i = (py * image.width + px) * 3;
  image.data[i] = colour[0];
  image.data[i + 1] = colour[1];
  image.data[i + 2] = colour[2];
}

/** Fills the rectangle with top-left (x, y), clipped to the image. */
export function fillRect(image: Image, x: number, y: number, width: number, height: number, colour: Rgb): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(image.width, Math.floor(x + width));
  const y1 = Math.min(image.height, Math.floor(y + height));
  for (let py = y0; py < y1; py++) {
    let i = (py * image.width + x0) * 3;
    for (let px = x0; px < x1; px++, i += 3) {
      image.data[i] = colour[0];
      image.data[i + 1] = colour[1];
      image.data[i + 2] = colour[2];
    }
  }
}

/** One-pixel outline of a rectangle. */
export function strokeRect(image: Image, x: number, y: number, width: number, height: number, colour: Rgb): void {
  fillRect(image, x, y, width, 1, colour);
  fillRect(image, x, y + height - 1, width, 1, colour);
  fillRect(image, x, y, 1, height, colour);
  fillRect(image, x + width - 1, y, 1, height, colour);
}

/**
 * Bresenham line from (x0, y0) to (x1, y1) in pixel coordinates; `thicknessPx` > 1 stamps a
 * square of that size at each step. The segment is clipped to the image first, so an endpoint
 * projected millions of pixels away costs nothing.
 */
export function drawLine(image: Image, x0: number, y0: number, x1: number, y1: number, colour: Rgb, thicknessPx = 1): void {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return;
  const pad = Math.ceil(thicknessPx);
  const clipped = clipSegment(x0, y0, x1, y1, -pad, -pad, image.width + pad, image.height + pad);
  if (!clipped) return;
  let ax = Math.round(clipped[0]);
  let ay = Math.round(clipped[1]);
  const bx = Math.round(clipped[2]);
  const by = Math.round(clipped[3]);
  const dx = Math.abs(bx - ax);
  const dy = -Math.abs(by - ay);
  const sx = ax < bx ? 1 : -1;
  const sy = ay < by ? 1 : -1;
  const t = Math.max(1, Math.round(thicknessPx));
  const off = Math.floor((t - 1) / 2);
  let err = dx + dy;
  for (;;) {
    if (t === 1) setPixel(image, ax, ay, colour);
    else fillRect(image, ax - off, ay - off, t, t, colour);
    if (ax === bx && ay === by) break;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      ax += sx;
    }
    if (e2 <= dx) {
      err += dx;
      ay += sy;
    }
  }
}

/** Liang-Barsky clipping of a segment to [xmin, xmax] x [ymin, ymax]; null when it misses. */
function clipSegment(
  x0: number, y0: number, x1: number, y1: number,
  xmin: number, ymin: number, xmax: number, ymax: number,
): [number, number, number, number] | null {
  const dx = x1 - x0;
  const dy = y1 - y0;
  let t0 = 0;
  let t1 = 1;
  const edges: [number, number][] = [[-dx, x0 - xmin], [dx, xmax - x0], [-dy, y0 - ymin], [dy, ymax - y0]];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const r = q / p;
    if (p < 0) {
      if (r > t1) return null;
      if (r > t0) t0 = r;
    } else {
      if (r < t0) return null;
      if (r < t1) t1 = r;
    }
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

/** A circle centred on pixel (cx, cy): filled, or an outline `thicknessPx` wide. */
export function drawCircle(
  image: Image, cx: number, cy: number, radiusPx: number, colour: Rgb,
  options: { filled?: boolean; thicknessPx?: number } = {},
): void {
  if (![cx, cy, radiusPx].every(Number.isFinite) || radiusPx < 0) return;
  const x = Math.floor(cx);
  const y = Math.floor(cy);
  const outer = radiusPx + 0.5;
  const inner = options.filled ? -1 : Math.max(0, radiusPx + 0.5 - (options.thicknessPx ?? 1));
  const r = Math.ceil(outer);
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      const d = Math.hypot(dx, dy);
      if (d <= outer && d > inner) setPixel(image, x + dx, y + dy, colour);
    }
  }
}

/** Copies `src` into `dst` with its top-left at (x, y), clipped. */
export function blitImage(dst: Image, src: Image, x: number, y: number): void {
  const x0 = Math.max(0, -x);
  const y0 = Math.max(0, -y);
  const x1 = Math.min(src.width, dst.width - x);
  const y1 = Math.min(src.height, dst.height - y);
  if (x1 <= x0) return;
  for (let sy = y0; sy < y1; sy++) {
    const from = (sy * src.width + x0) * 3;
    dst.data.set(src.data.subarray(from, from + (x1 - x0) * 3), ((sy + y) * dst.width + x + x0) * 3);
  }
}

/**
 * Draws a camera frame's rgb into the box (x, y, width, height) of `image`, nearest-neighbour
 * scaled (no smoothing, so a pixel the network saw stays one visible block).
 */
export function blitFrame(image: Image, frame: CameraFrame, x: number, y: number, width: number, height: number): void {
  assertPositiveInteger(frame.width, 'frame.width');
  assertPositiveInteger(frame.height, 'frame.height');
  if (!(frame.rgb instanceof Uint8Array) || frame.rgb.length !== frame.width * frame.height * 3) {
    throw invalidArgument('frame.rgb', `must be ${frame.width}*${frame.height}*3 bytes`);
  }
  const src: Uint8Array = frame.rgb;
  for (let dy = Math.max(0, -y); dy < height && y + dy < image.height; dy++) {
    const sy = Math.min(frame.height - 1, Math.floor((dy * frame.height) / height));
    for (let dx = Math.max(0, -x); dx < width && x + dx < image.width; dx++) {
      const sx = Math.min(frame.width - 1, Math.floor((dx * frame.width) / width));
      const s = (sy * frame.width + sx) * 3;
      const d = ((y + dy) * image.width + x + dx) * 3;
      image.data[d] = src[s];
      image.data[d + 1] = src[s + 1];
      image.data[d + 2] = src[s + 2];
    }
  }
}

/** Encodes as an 8-bit RGB PNG. */
export function encodePng(image: Image): Buffer {
  checkImage(image);
  return encodeRgbPng(image.width, image.height, image.data);
}

/** Decodes any PNG pngjs reads into an RGB Image (alpha dropped). */
export function decodePng(bytes: Uint8Array): Image {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new PeractError('CORRUPT_FILE', `not a readable PNG (${(error as Error).message})`, { field: 'bytes', cause: error });
  }
  assertPositiveInteger(png.width, 'width');
  assertPositiveInteger(png.height, 'height');
  return { width: png.width, height: png.height, data: rgbFromRgba(png.data, png.width * png.height) };
}

/** Blends a colour toward another: t = 0 gives `a`, 1 gives `b`. */
export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  const k = Math.min(1, Math.max(0, t));
  return [
    Math.round(a[0] + (b[0] - a[0]) * k),
    Math.round(a[1] + (b[1] - a[1]) * k),
    Math.round(a[2] + (b[2] - a[2]) * k),
  ];
}
