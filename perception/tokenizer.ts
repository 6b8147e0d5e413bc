import { assertPositiveInteger, invalidArgument } from '../core/index.js';

/**
 * The Perceiver byte tokenizer (as in Hugging Face's PerceiverTokenizer): UTF-8 bytes shifted by
 * the six special ids, `[CLS] bytes... [SEP]` then padding.
 */
export const SPECIAL_TOKENS = { PAD: 0, BOS: 1, EOS: 2, MASK: 3, CLS: 4, SEP: 5 } as const;
export const BYTE_OFFSET = 6;
export const VOCAB_SIZE = 256 + BYTE_OFFSET;
export const DEFAULT_TOKEN_LENGTH = 77;

export interface Tokens {
  /** Token ids, exactly `length` of them. */
  ids: Int32Array;
  /** Ids that are not padding (CLS, bytes, SEP). */
  validCount: number;
  /** True when the goal's bytes did not fit and were cut. */
  truncated: boolean;
  /** The normalised text that was encoded. */
  text: string;
}

/** NFKC, lower case, runs of white space collapsed to one space, trimmed. */
export function normaliseGoal(text: string): string {
  if (typeof text !== 'string') throw invalidArgument('goal', `must be a string, got ${typeof text}`);
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

const encoder = new TextEncoder();

export function tokenize(goal: string, length = DEFAULT_TOKEN_LENGTH): Tokens {
  assertPositiveInteger(length, 'length', 2);
  const text = normaliseGoal(goal);
  let bytes = encoder.encode(text);
  const room = length - 2;
  const truncated = bytes.length > room;
  if (truncated) bytes = bytes.subarray(0, cutAtCharBoundary(bytes, room));
  const ids = new Int32Array(length);
  ids[0] = SPECIAL_TOKENS.CLS;
  for (let i = 0; i < bytes.length; i++) ids[i + 1] = bytes[i] + BYTE_OFFSET;
  ids[bytes.length + 1] = SPECIAL_TOKENS.SEP;
  return { ids, validCount: bytes.length + 2, truncated, text };
}

/** Decodes ids back to text, skipping special tokens (for logs and tests). */
export function detokenize(ids: ArrayLike<number>): string {
  const bytes: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= VOCAB_SIZE) throw invalidArgument(`ids[${i}]`, `not a token id: ${id}`);
    if (id >= BYTE_OFFSET) bytes.push(id - BYTE_OFFSET);
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

// Truncating in the middle of a multi-byte character would leave an invalid UTF-8 tail.
function cutAtCharBoundary(bytes: Uint8Array, max: number): number {
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return end;
}
