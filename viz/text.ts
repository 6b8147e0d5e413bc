import { assertPositiveInteger } from '../core/index.js';
import { CELL_HEIGHT, CELL_WIDTH, GLYPHS, GLYPH_HEIGHT, GLYPH_WIDTH } from './font5x7.js';
import { fillRect, type Image, type Rgb } from './image.js';

export interface TextOptions {
  /** Integer magnification of the 5x7 font (a glyph cell is 6*scale x 8*scale). Default 1. */
  scale?: number;
  /** Fills each character cell first, for text over a photo. */
  background?: Rgb;
}

const QUESTION = '?'.charCodeAt(0);

/** Characters the font has no glyph for (non-ASCII, control characters) become '?'. */
export function toFontText(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? QUESTION;
    out += GLYPHS.has(code) ? ch : '?';
  }
  return out;
}

/** Width in pixels of one line of `text` at `scale` (the trailing spacing column included). */
export function textWidth(text: string, scale = 1): number {
  return [...text].length * CELL_WIDTH * scale;
}

export function textHeight(scale = 1): number {
  return CELL_HEIGHT * scale;
}

/**
 * Draws one line of text with its cell's top-left at (x, y); returns the width drawn. Pixels
 * outside the image are clipped.
 */
export function drawText(image: Image, text: string, x: number, y: number, colour: Rgb, options: TextOptions = {}): number {
  const scale = options.scale ?? 1;
  assertPositiveInteger(scale, 'scale');
  const chars = toFontText(text);
  let cx = Math.floor(x);
  const cy = Math.floor(y);
  for (const ch of chars) {
    if (options.background) fillRect(image, cx, cy, CELL_WIDTH * scale, CELL_HEIGHT * scale, options.background);
    const rows = GLYPHS.get(ch.charCodeAt(0)) ?? GLYPHS.get(QUESTION)!;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      const mask = rows[r];
      if (mask === 0) continue;
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (mask & (1 << (GLYPH_WIDTH - 1 - c))) fillRect(image, cx + c * scale, cy + r * scale, scale, scale, colour);
      }
    }
    cx += CELL_WIDTH * scale;
  }
  return cx - Math.floor(x);
}

/** Shortens `text` to at most `maxChars`, ending in '..' when cut. */
export function truncateText(text: string, maxChars: number): string {
  const chars = [...toFontText(text)];
  if (chars.length <= maxChars) return chars.join('');
  if (maxChars <= 2) return chars.slice(0, Math.max(0, maxChars)).join('');
  return `${chars.slice(0, maxChars - 2).join('')}..`;
}

/** Greedy word wrap to lines of at most `maxChars`; over-long words are cut hard. */
export function wrapText(text: string, maxChars: number): string[] {
  const width = Math.max(1, Math.floor(maxChars));
  const lines: string[] = [];
  let line = '';
  for (const word of toFontText(text).split(/\s+/).filter((w) => w.length > 0)) {
    let w = word;
    while (w.length > width) {
      if (line) {
        lines.push(line);
        line = '';
      }
      lines.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (!line) line = w;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line) lines.push(line);
  return lines.length > 0 ? lines : [''];
}
