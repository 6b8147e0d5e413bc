import { describe, expect, it } from 'vitest';
import {
  detokenize,
  normaliseGoal,
  SPECIAL_TOKENS,
  tokenize,
  tokenizeAs,
  tokenizeWords,
  vocabSizeOf,
  VOCAB_SIZE,
  WORD_OFFSET,
  WORD_VOCAB_SIZE,
  wordId,
  WORDS_V1,
  type TokenizerKind,
} from '../../perception/index.js';

describe('tokenizer', () => {
  it('encodes ASCII goals as [CLS] bytes+6 [SEP] then padding', () => {
    const t = tokenize('Pick up the red block');
    expect(t.ids.length).toBe(77);
    expect(t.text).toBe('pick up the red block');
    const expected = [SPECIAL_TOKENS.CLS, ...Array.from(Buffer.from('pick up the red block')).map((b) => b + 6), SPECIAL_TOKENS.SEP];
    expect(Array.from(t.ids.subarray(0, expected.length))).toEqual(expected);
    expect(Array.from(t.ids.subarray(expected.length)).every((id) => id === SPECIAL_TOKENS.PAD)).toBe(true);
    expect(t.validCount).toBe(expected.length);
    expect(t.truncated).toBe(false);
    expect(VOCAB_SIZE).toBe(262);
  });

  it('encodes non-ASCII goals as their UTF-8 bytes after NFKC', () => {
    const t = tokenize('Öffne die Schublade ﬁ'); // the ligature NFKC-normalises to "fi"
    expect(t.text).toBe('öffne die schublade fi');
    expect(Array.from(t.ids.subarray(1, 3))).toEqual([0xc3 + 6, 0xb6 + 6]);
    expect(detokenize(t.ids)).toBe('öffne die schublade fi');
    expect(Math.max(...t.ids)).toBeLessThan(VOCAB_SIZE);
  });

  it('normalises white space and case', () => {
    expect(normaliseGoal('  Push\tthe   BLUE\nbutton ')).toBe('push the blue button');
  });

  it('truncates to the length, reports it, and never splits a character', () => {
    const t = tokenize('abcdefgh', 6);
    expect(t.truncated).toBe(true);
    expect(detokenize(t.ids)).toBe('abcd');
    expect(t.ids[5]).toBe(SPECIAL_TOKENS.SEP);
    const u = tokenize('aéé', 5); // 3 bytes of room: 'a' + 2-byte 'é', the second 'é' is cut whole
    expect(detokenize(u.ids)).toBe('aé');
    const v = tokenize('ééé', 4); // 2 bytes of room
    expect(detokenize(v.ids)).toBe('é');
    expect(tokenize('', 2).validCount).toBe(2);
  });

  it('rejects a length below 2 and a non-string goal', () => {
    expect(() => tokenize('x', 1)).toThrow(/length: must be an integer >= 2/);
    expect(() => tokenize(42 as unknown as string)).toThrow(/goal: must be a string/);
  });
});

describe('words-v1 tokenizer', () => {
  it('encodes one id a word, [CLS] first, [SEP] last, then padding', () => {
    const t = tokenizeWords('Pick up the RED block!', 10);
    const words = ['pick', 'up', 'the', 'red', 'block'];
    expect(Array.from(t.ids)).toEqual([SPECIAL_TOKENS.CLS, ...words.map(wordId), SPECIAL_TOKENS.SEP, 0, 0, 0]);
    expect(t.validCount).toBe(7);
    expect(new Set(words.map(wordId)).size).toBe(5);
    expect(words.every((w) => wordId(w) < WORD_OFFSET + WORDS_V1.length)).toBe(true);
  });

  it('hashes unknown words into the shared buckets, the same way every time', () => {
    const id = wordId('schublade');
    expect(id).toBeGreaterThanOrEqual(WORD_OFFSET + WORDS_V1.length);
    expect(id).toBeLessThan(WORD_VOCAB_SIZE);
    expect(wordId('schublade')).toBe(id);
    expect(vocabSizeOf('words-v1')).toBe(WORD_VOCAB_SIZE);
    expect(vocabSizeOf('perceiver-bytes')).toBe(VOCAB_SIZE);
  });

  it('cuts whole words past the length and reports it', () => {
    const t = tokenizeWords('one two three four', 4);
    expect(t.truncated).toBe(true);
    expect(Array.from(t.ids)).toEqual([SPECIAL_TOKENS.CLS, wordId('one'), wordId('two'), SPECIAL_TOKENS.SEP]);
  });

  it('tokenizeAs picks the kind and rejects an unknown one by name', () => {
    expect(Array.from(tokenizeAs('perceiver-bytes', 'go', 4).ids)).toEqual(Array.from(tokenize('go', 4).ids));
    expect(Array.from(tokenizeAs('words-v1', 'go', 4).ids)).toEqual(Array.from(tokenizeWords('go', 4).ids));
    expect(() => tokenizeAs('bpe' as TokenizerKind, 'go')).toThrow(/tokenizer: must be one of perceiver-bytes, words-v1/);
  });

  it('has no word twice in its vocabulary', () => {
    expect(new Set(WORDS_V1).size).toBe(WORDS_V1.length);
  });
});
