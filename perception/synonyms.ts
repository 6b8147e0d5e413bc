import { SYNONYM_SOURCE, SYNONYMS_BY_TARGET } from './synonyms-wordnet.js';
import { WORDS_V1 } from './word-vocabulary.js';

/**
 * Synonyms for the `words-v1` tokenizer: a goal word outside the vocabulary is read as a
 * vocabulary word WordNet relates it to, before it would be hashed into a shared bucket.
 * Vocabulary words are never replaced, so their ids (and every checkpoint) stay as they were.
 *
 * The table (synonyms-wordnet.ts) is generated from WordNet 3.1 by scripts/build-synonyms.ts,
 * which documents the choice: the word's senses, most frequent first; in each, its synonyms,
 * then the synsets one link away (hypernyms, similar adjectives, verb groups), then the
 * hypernyms of those; the first sense with a vocabulary word gives it, a word some task
 * template uses preferred within the sense, then the nearer link, then vocabulary order.
 *
 * At run time a word is looked up as it is, then by WordNet's detachment rules for inflections
 * (plural nouns, verb endings, comparatives; a doubled final consonant is undoubled: "grabbed"),
 * for words of four letters or more: the first base form that is a vocabulary word is used
 * itself, else the first with a table entry gives that entry; a plural keeps its number when
 * the vocabulary has the chosen word's plural ("slabs" -> "blocks").
 */
export { SYNONYM_SOURCE };

const VOCABULARY = new Set(WORDS_V1);
let table: Map<string, string> | undefined;

function synonymTable(): Map<string, string> {
  if (!table) {
    table = new Map();
    for (const [target, words] of Object.entries(SYNONYMS_BY_TARGET)) for (const w of words.split(' ')) table.set(w, target);
  }
  return table;
}

type Rule = readonly [suffix: string, ending: string, plural: boolean];
/** WordNet's detachment rules (morphy), nouns then verbs then adjectives. */
const RULES: readonly Rule[] = [
  ['s', '', true], ['ses', 's', true], ['xes', 'x', true], ['zes', 'z', true], ['ches', 'ch', true], ['shes', 'sh', true], ['men', 'man', true], ['ies', 'y', true],
  ['s', '', false], ['ies', 'y', false], ['es', 'e', false], ['es', '', false], ['ed', 'e', false], ['ed', '', false], ['ing', 'e', false], ['ing', '', false],
  ['er', '', false], ['est', '', false], ['er', 'e', false], ['est', 'e', false],
];
const UNDOUBLE = new Set(['ed', 'ing', 'er', 'est']);

function baseForms(word: string): { base: string; plural: boolean }[] {
  const out: { base: string; plural: boolean }[] = [];
  if (word.length < 4) return out;
  for (const [suffix, ending, plural] of RULES) {
    if (!word.endsWith(suffix) || word.length <= suffix.length + 1) continue;
    const stem = word.slice(0, -suffix.length);
    out.push({ base: stem + ending, plural });
    const last = stem.at(-1);
    if (UNDOUBLE.has(suffix) && ending === '' && stem.length >= 3 && last === stem.at(-2) && /[b-df-hj-np-tv-z]/u.test(last ?? '')) {
      out.push({ base: stem.slice(0, -1), plural });
    }
  }
  return out;
}

function pluralInVocabulary(word: string): string | undefined {
  const forms = [`${word}s`, `${word}es`, word.endsWith('y') ? `${word.slice(0, -1)}ies` : ''];
  return forms.find((f) => f && VOCABULARY.has(f));
}

/**
 * The vocabulary word a `words-v1` goal word is read as: the word itself when it is in the
 * vocabulary, else its synonym (see above), else undefined (it is hashed). `word` is one
 * normalised word (lower case, letters and digits).
 */
export function vocabularyWordFor(word: string): string | undefined {
  if (VOCABULARY.has(word)) return word;
  const synonyms = synonymTable();
  const direct = synonyms.get(word);
  if (direct) return direct;
  for (const { base, plural } of baseForms(word)) {
    if (VOCABULARY.has(base)) return base;
    const target = synonyms.get(base);
    if (target) return (plural && pluralInVocabulary(target)) || target;
  }
  return undefined;
}

/** How each word of a goal is read: kept (a vocabulary word), replaced (its synonym) or hashed. */
export interface WordReading {
  word: string;
  /** The vocabulary word used, absent when the word is hashed. */
  as?: string;
}

/** The goal as the `words-v1` tokenizer reads it, e.g. "seize the maroon brick" -> take the maroon ?brick. */
export function describeReading(readings: readonly WordReading[]): string {
  return readings.map((r) => (r.as === undefined ? `?${r.word}` : r.as === r.word ? r.word : `${r.as}(${r.word})`)).join(' ');
}
