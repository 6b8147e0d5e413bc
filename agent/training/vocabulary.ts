/**
 * Extending a `words-v1` vocabulary when fine-tuning: a word of the new goals that the frozen
 * vocabulary neither holds nor has a WordNet synonym for would share a hash bucket with other
 * unknown words, so it gets an embedding row of its own, appended after the existing rows and
 * initialised from the row it hashed to (the extended network reads every goal exactly as before
 * until training moves the new rows).
 */
import { invalidArgument, PeractError } from '../../core/index.js';
import { goalWords, isVocabularyWord, vocabularyWordFor, wordId, WORD_VOCAB_SIZE, type TokenizerKind } from '../../perception/index.js';
import { expectedParameterShapes, type TensorMap } from '../checkpoint/index.js';
import type { NetworkConfig } from '../network/index.js';

/** A goal of a dataset, and where it comes from (for error messages). */
export interface GoalSource {
  goal: string;
  /** e.g. `data/recorded pour_tea seed 3`. */
  where: string;
}

/**
 * The words the goals need appended to a `words-v1` vocabulary (sorted), given the words already
 * appended; none for `perceiver-bytes`, which reads every string. A goal with more words than the
 * language length holds is refused, naming the goal and the words that would never be read.
 */
export function wordsToAdd(goals: Iterable<GoalSource>, tokenizer: { kind: TokenizerKind; length: number; addedWords?: readonly string[] }): string[] {
  if (tokenizer.kind !== 'words-v1') return [];
  const room = tokenizer.length - 2;
  const added = new Set(tokenizer.addedWords ?? []);
  const fresh = new Set<string>();
  for (const { goal, where } of goals) {
    const words = goalWords(goal);
    if (words.length > room) {
      throw invalidArgument(
        'data',
        `goal ${JSON.stringify(goal)} (${where}) has ${words.length} words, but the checkpoint's language length ${tokenizer.length} reads at most ${room}: ` +
          `"${words.slice(room).join(' ')}" cannot be added (the network's position table has no rows for them); shorten the goal`,
      );
    }
    for (const word of words) {
      if (isVocabularyWord(word) || added.has(word) || vocabularyWordFor(word) !== undefined) continue;
      fresh.add(word);
    }
  }
  return [...fresh].sort();
}

/** The network config with `count` more vocabulary rows. */
export function extendedConfig(config: NetworkConfig, count: number): NetworkConfig {
  return count === 0 ? config : { ...config, vocabSize: config.vocabSize + count };
}

/**
 * Appends one row per new word to every tensor indexed by vocabulary id (weights, or optimizer
 * moments `<parameter>.m` / `.v`), copying the row the word hashed to. `config` is the network
 * the tensors belong to; the new words' ids follow its last row.
 */
export function extendVocabularyRows(tensors: TensorMap, config: NetworkConfig, words: readonly string[]): TensorMap {
  if (words.length === 0) return tensors;
  const before = expectedParameterShapes(config);
  const after = expectedParameterShapes(extendedConfig(config, words.length));
  const grown = new Set<string>();
  for (const [name, shape] of after) {
    const old = before.get(name);
    if (!old || old.join() === shape.join()) continue;
    if (old[0] !== config.vocabSize || shape[0] !== config.vocabSize + words.length || old.slice(1).join() !== shape.slice(1).join()) {
      throw new PeractError('INTERNAL', `parameter '${name}' changes shape with the vocabulary in an unexpected way (${old.join('x')} -> ${shape.join('x')})`);
    }
    grown.add(name);
  }
  const sources = words.map((w) => wordId(w));
  if (sources.some((id) => id >= WORD_VOCAB_SIZE)) throw new PeractError('INTERNAL', 'an added word must hash into the base vocabulary');
  const out: TensorMap = new Map();
  for (const [name, t] of tensors) {
    const parameter = grown.has(name) ? name : /^(.+)\.(m|v)$/.exec(name)?.[1];
    if (parameter === undefined || !grown.has(parameter) || t.shape[0] !== config.vocabSize) {
      out.set(name, t);
      continue;
    }
    const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = new Float32Array((config.vocabSize + words.length) * width);
    data.set(t.data);
    sources.forEach((row, i) => data.copyWithin((config.vocabSize + i) * width, row * width, (row + 1) * width));
    out.set(name, { shape: [config.vocabSize + words.length, ...t.shape.slice(1)], data });
  }
  return out;
}

/** Every goal of the datasets (each phrasing of each episode), with where it comes from. */
export function datasetGoals(datasets: readonly { dir: string; manifest: { episodes: readonly { task: string; seed: number; goals: readonly string[] }[] } }[]): GoalSource[] {
  return datasets.flatMap((ds) => ds.manifest.episodes.flatMap((e) => e.goals.map((goal) => ({ goal, where: `${ds.dir} ${e.task} seed ${e.seed}` }))));
}
