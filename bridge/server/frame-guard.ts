/**
 * Cheap shape checks run on a received frame before it is parsed: a JSON text or CBOR item
 * nested deeper than a ROS message can be is refused without building it (a 6 MB `[[[[...`
 * costs JSON.parse seconds; the scan is one pass over the bytes, stopping at the first level
 * too deep). Each check returns a reason, or null when the frame may be parsed.
 */

const OPEN_BRACKET = 0x5b; // [
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACKET = 0x5d; // ]
const CLOSE_BRACE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** Nesting depth of a JSON text, scanning its UTF-8 bytes (multi-byte sequences never contain ASCII). */
export function jsonDepthProblem(bytes: Uint8Array, maxDepth: number): string | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return `nested deeper than ${maxDepth} levels (at byte ${i})`;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return null;
}

/**
 * Walks a CBOR item's heads without decoding values: nesting depth (arrays, maps, tags) at most
 * `maxDepth`, and every declared length within the bytes that are left (an array claiming 2^28
 * items in a 9-byte frame is refused here, not allocated). Returns null when well-formed enough
 * to hand to the decoder (which still reports its own errors).
 */
export function cborShapeProblem(bytes: Uint8Array, maxDepth: number): string | null {
  // Items still expected at each open level; -1 = indefinite length (ends with 0xff).
  const pending: number[] = [];
  let i = 0;
  let items = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // One top-level item.
  pending.push(1);
  while (pending.length > 0) {
    const top = pending.length - 1;
    if (pending[top] === 0) {
      pending.pop();
      continue;
    }
    if (i >= bytes.length) return 'CBOR item ends early';
    const head = bytes[i++];
    if (head === 0xff) {
      if (pending[top] !== -1) return `unexpected CBOR break at byte ${i - 1}`;
      pending.pop();
      continue;
    }
    if (pending[top] > 0) pending[top]--;
    items++;
    const major = head >> 5;
    const info = head & 0x1f;
    let length: number;
    if (info < 24) length = info;
    else if (info === 24 || info === 25 || info === 26 || info === 27) {
      const size = 1 << (info - 24);
      if (i + size > bytes.length) return 'CBOR head ends early';
      if (info === 24) length = bytes[i];
      else if (info === 25) length = view.getUint16(i);
      else if (info === 26) length = view.getUint32(i);
      else {
        const big = view.getBigUint64(i);
        // Only a number or a simple value may be this large; a length this large cannot fit.
        length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
      }
      i += size;
    } else if (info === 31) length = -1;
    else return `malformed CBOR head 0x${head.toString(16)} at byte ${i - 1}`;
    const left = bytes.length - i;
    switch (major) {
      case 0:
      case 1:
        if (length < 0) return `malformed CBOR integer at byte ${i - 1}`;
        break;
      case 2:
      case 3:
        if (length < 0) {
          // Indefinite string: chunks follow until a break; each chunk is an item one level down.
          if (pending.length >= maxDepth) return `nested deeper than ${maxDepth} levels`;
          pending.push(-1);
        } else {
          if (length > left) return `CBOR string of ${length} bytes with ${left} bytes left`;
          i += length;
        }
        break;
      case 4:
      case 5: {
        if (pending.length >= maxDepth) return `nested deeper than ${maxDepth} levels`;
        if (length < 0) pending.push(-1);
        else {
          const count = major === 5 ? length * 2 : length;
          if (count > left) return `CBOR ${major === 5 ? 'map' : 'array'} of ${length} entries with ${left} bytes left`;
          pending.push(count);
        }
        break;
      }
      case 6:
        // A tag wraps the next item: one more level.
        if (pending.length >= maxDepth) return `nested deeper than ${maxDepth} levels`;
        pending.push(1);
        break;
      default:
        // 7: floats and simple values; the head carried their bytes.
        break;
    }
  }
  if (i !== bytes.length) return `${bytes.length - i} bytes after the CBOR item`;
  return items > 0 ? null : 'empty CBOR frame';
}
