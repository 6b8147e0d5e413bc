import { assertPositiveInteger, invalidArgument } from '../core/index.js';
import { vocabularyWordFor, type WordReading } from './synonyms.js';
import { WORDS_V1 } from './word-vocabulary.js';

/**
 * Two tokenizers, both `[CLS] tokens... [SEP]` then padding, both after `normaliseGoal`:
 *  - `perceiver-bytes` (as in Hugging Face's PerceiverTokenizer): UTF-8 bytes shifted by the six
 *    special ids. The first checkpoints used it.
 *  - `words-v1`: one token a word (runs of letters and digits), ids from a frozen vocabulary
 *    (word-vocabulary.ts); a word outside it is read as a WordNet synonym inside it where it has
 *    one (synonyms.ts: "crimson" is "red"), else hashed into a few shared buckets. A colour name is
 *    one embedding here instead of a spelling the network must first learn to read: trained
 *    with bytes, the policy reached one of the three spheres in reach_target but picked it at
 *    chance (README, "Network and presets").
 */
export type TokenizerKind = 'perceiver-bytes' | 'words-v1';
export const TOKENIZER_KINDS: readonly TokenizerKind[] = ['perceiver-bytes', 'words-v1'];

export const SPECIAL_TOKENS = { PAD: 0, BOS: 1, EOS: 2, MASK: 3, CLS: 4, SEP: 5 } as const;
export const BYTE_OFFSET = 6;
export const VOCAB_SIZE = 256 + BYTE_OFFSET;
export const DEFAULT_TOKEN_LENGTH = 77;
/** Buckets shared by the words outside the `words-v1` vocabulary (FNV-1a hash of the word). */
export const WORD_HASH_BUCKETS = 234;
export const WORD_OFFSET = 6;
export const WORD_VOCAB_SIZE = WORD_OFFSET + WORDS_V1.length + WORD_HASH_BUCKETS;

const WORD_IDS = new Map(WORDS_V1.map((w, i) => [w, WORD_OFFSET + i]));

/** Vocabulary size (embedding rows) of a tokenizer. */
export function vocabSizeOf(kind: TokenizerKind): number {
  return checkTokenizerKind(kind) === 'words-v1' ? WORD_VOCAB_SIZE : VOCAB_SIZE;
}

export function checkTokenizerKind(kind: unknown, field = 'tokenizer'): TokenizerKind {
  if (!TOKENIZER_KINDS.includes(kind as TokenizerKind)) {
    throw invalidArgument(field, `must be one of ${TOKENIZER_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  return kind as TokenizerKind;
}

/**
 * Tokenizes with the given kind (what a checkpoint says it was trained with). `added`: the words a
 * fine-tuned `words-v1` checkpoint appended to its vocabulary (`addedWordIds`).
 */
export function tokenizeAs(kind: TokenizerKind, goal: string, length = DEFAULT_TOKEN_LENGTH, added?: AddedWordIds): Tokens {
  return checkTokenizerKind(kind) === 'words-v1' ? tokenizeWords(goal, length, added ? { added } : {}) : tokenize(goal, length);
}

/** Ids of words appended to the `words-v1` vocabulary by fine-tuning: rows after the hash buckets. */
export type AddedWordIds = ReadonlyMap<string, number>;

/** The ids of appended words, in order: the first is `WORD_VOCAB_SIZE`. */
export function addedWordIds(words: readonly string[]): AddedWordIds {
  return new Map(words.map((w, i) => [w, WORD_VOCAB_SIZE + i]));
}

/** Whether a word is in the frozen `words-v1` vocabulary itself (not a synonym, not hashed). */
export function isVocabularyWord(word: string): boolean {
  return WORD_IDS.has(word);
}

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

export interface WordTokenizerOptions {
  /** Read words outside the vocabulary as their synonyms (default true); false hashes them all. */
  synonyms?: boolean;
  /** Words appended to the vocabulary by fine-tuning; they take their own id before any synonym or hash. */
  added?: AddedWordIds;
}

/** The words of a goal as `words-v1` splits them (after `normaliseGoal`). */
export function goalWords(goal: string): string[] {
  return normaliseGoal(goal).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}

/** How `words-v1` reads each word of a goal: itself, a synonym in the vocabulary, or hashed. */
export function readWords(goal: string, options: WordTokenizerOptions = {}): WordReading[] {
  return goalWords(goal).map((word) => {
    if (options.added?.has(word)) return { word, as: word };
    const as = options.synonyms === false ? (WORD_IDS.has(word) ? word : undefined) : vocabularyWordFor(word);
    return as === undefined ? { word } : { word, as };
  });
}

/** The `words-v1` tokenizer: `[CLS] word ids... [SEP]`; words past `length - 2` are cut. */
export function tokenizeWords(goal: string, length = DEFAULT_TOKEN_LENGTH, options: WordTokenizerOptions = {}): Tokens {
  assertPositiveInteger(length, 'length', 2);
  const text = normaliseGoal(goal);
  const words = goalWords(text);
  const room = length - 2;
  const truncated = words.length > room;
  const kept = truncated ? words.slice(0, room) : words;
  const ids = new Int32Array(length);
  ids[0] = SPECIAL_TOKENS.CLS;
  const added = options.added;
  kept.forEach((w, i) => (ids[i + 1] = added?.get(w) ?? (options.synonyms === false ? hashedWordId(w) : wordId(w))));
  ids[kept.length + 1] = SPECIAL_TOKENS.SEP;
  return { ids, validCount: kept.length + 2, truncated, text };
}

/**
 * A vocabulary word's id; for a word outside the vocabulary, its synonym's id (synonyms.ts) or,
 * without one, its hash bucket (ids after the vocabulary).
 */
export function wordId(word: string): number {
  const known = WORD_IDS.get(word);
  if (known !== undefined) return known;
  const synonym = vocabularyWordFor(word);
  return synonym === undefined ? hashedWordId(word) : WORD_IDS.get(synonym)!;
}

/** A vocabulary word's id, or the hash bucket of any other word (no synonyms). */
export function hashedWordId(word: string): number {
  const known = WORD_IDS.get(word);
  if (known !== undefined) return known;
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(word)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return WORD_OFFSET + WORDS_V1.length + (h % WORD_HASH_BUCKETS);
}

/** Decodes byte-tokenizer ids back to text, skipping special tokens (for logs and tests). */
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
