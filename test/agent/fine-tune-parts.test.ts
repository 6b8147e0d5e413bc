import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../agent/backend/backend.js';
import { expectedParameterShapes, loadCheckpoint, saveCheckpoint, type CheckpointPayload, type TensorMap } from '../../agent/checkpoint/index.js';
import { batchPlan } from '../../agent/training/data/batch-builder.js';
import { datasetDraws, type SampleIndex } from '../../agent/training/data/sample-index.js';
import { restoreInitOptimizer } from '../../agent/training/fine-tune.js';
import { checkpointSpec, loadPolicy } from '../../agent/acting/load-policy.js';
import { Optimizer, resolveConfig, type NetworkConfig } from '../../agent/network/index.js';
import { extendVocabularyRows, wordsToAdd } from '../../agent/training/vocabulary.js';
import { Rng } from '../../core/index.js';
import { tokenizeWords, WORD_VOCAB_SIZE, wordId } from '../../perception/index.js';
import { parseDataList } from '../../bin/commands/train.js';
import { TINY_NETWORK } from './helpers.js';

const TINY: NetworkConfig = resolveConfig('cpu', { ...TINY_NETWORK, languageLength: 8 });

function fakeWeights(config: NetworkConfig, seed: number): TensorMap {
  const rng = new Rng(seed);
  const out: TensorMap = new Map();
  for (const [name, shape] of expectedParameterShapes(config)) out.set(name, { shape: [...shape], data: new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.normal()) });
  return out;
}

function payload(network: NetworkConfig, extra: Partial<CheckpointPayload> = {}): CheckpointPayload {
  return { preset: 'tiny', network, training: {}, bounds: [0.2, -0.35, -0.05, 0.75, 0.35, 0.55], step: 3, model: fakeWeights(network, 1), rngStates: {}, ...extra };
}

/** Two datasets: `a` with 10 pairs of two tasks, `b` with 2 pairs of one. */
function fakeIndex(): SampleIndex {
  const samples = [
    ...Array.from({ length: 10 }, (_, i) => ({ dataset: 0, episode: 0, task: i < 5 ? 'reach_target' : 'stack_blocks', observationFrame: i, keyframe: i + 1 })),
    ...Array.from({ length: 2 }, (_, i) => ({ dataset: 1, episode: 0, task: 'pour_tea', observationFrame: i, keyframe: i + 1 })),
  ];
  const byTask = new Map<string, number[]>();
  samples.forEach((s, i) => byTask.set(s.task, [...(byTask.get(s.task) ?? []), i]));
  const datasets = [{ dir: 'data/sim' }, { dir: 'data/recorded' }] as unknown as SampleIndex['datasets'];
  return { datasets, samples, byTask: new Map([...byTask].sort(([x], [y]) => (x < y ? -1 : 1))), seeds: new Map() };
}

let dir: string;
beforeAll(async () => {
  await selectBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'peract-finetune-parts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dataset weights', () => {
  it('draw datasets in proportion to their weights, the same for the same seed', () => {
    const index = fakeIndex();
    const count = (draws?: ReturnType<typeof datasetDraws>) => {
      const perDataset = [0, 0];
      const perSample = new Array<number>(index.samples.length).fill(0);
      for (let step = 1; step <= 500; step++) {
        for (const id of batchPlan(index, 11, step, 8, draws).sampleIds) {
          perDataset[index.samples[id].dataset]++;
          perSample[id]++;
        }
      }
      return { perDataset, perSample };
    };
    // Without weights: tasks uniformly, so pour_tea (1 of 3 tasks) gets a third of the 4000 draws.
    const plain = count();
    expect(plain.perDataset[1] / 4000).toBeCloseTo(1 / 3, 1);
    // data/sim:1,data/recorded:3: three quarters from the 2 recorded pairs, spread evenly over them.
    const weighted = count(datasetDraws(index, [1, 3]));
    expect(weighted.perDataset).toEqual(count(datasetDraws(index, [1, 3])).perDataset);
    expect(weighted.perDataset[1] / 4000).toBeGreaterThan(0.73);
    expect(weighted.perDataset[1] / 4000).toBeLessThan(0.77);
    expect(Math.abs(weighted.perSample[10] - weighted.perSample[11]) / weighted.perDataset[1]).toBeLessThan(0.06);
    // Equal weights: each dataset half the draws, whatever its number of tasks or pairs.
    expect(count(datasetDraws(index, [2, 2])).perDataset[0] / 4000).toBeCloseTo(0.5, 1);
    // Unweighted plans are the ones batchPlan always drew.
    expect(batchPlan(index, 11, 3, 8)).toEqual(batchPlan(index, 11, 3, 8, undefined));
  });

  it('refuse a weight that is not a positive number, or a wrong count, naming the dataset', () => {
    expect(() => datasetDraws(fakeIndex(), [1, -2])).toThrow(/dataWeights: weight of data\/recorded must be a number > 0, got -2/);
    expect(() => datasetDraws(fakeIndex(), [1])).toThrow(/dataWeights: must hold one weight per dataset \(2\)/);
  });

  it('are parsed from --data DIR[:WEIGHT]', () => {
    expect(parseDataList('data/sim,data/recorded')).toEqual({ dirs: ['data/sim', 'data/recorded'] });
    expect(parseDataList('data/sim:1,data/recorded:3')).toEqual({ dirs: ['data/sim', 'data/recorded'], weights: [1, 3] });
    expect(parseDataList('data/sim,data/recorded:0.5')).toEqual({ dirs: ['data/sim', 'data/recorded'], weights: [1, 0.5] });
    expect(parseDataList('C:\\demos\\a:2')).toEqual({ dirs: ['C:\\demos\\a'], weights: [2] });
    expect(() => parseDataList('data/sim:0')).toThrow(/--data: weight of data\/sim must be a number > 0, got 0/);
    expect(() => parseDataList('data/sim:-1')).toThrow(/--data: weight of data\/sim must be a number > 0/);
  });
});

describe('vocabulary extension', () => {
  const words = (goals: string[], addedWords?: string[]) => wordsToAdd(goals.map((goal) => ({ goal, where: 'test' })), { kind: 'words-v1', length: 8, ...(addedWords ? { addedWords } : {}) });

  it('adds the words the vocabulary neither holds nor has a synonym for', () => {
    expect(words(['pour the tea into the teapot', 'pick up the crimson cube'])).toEqual(['tea', 'teapot']);
    expect(words(['pour the tea into the teapot'], ['tea'])).toEqual(['teapot']);
    expect(wordsToAdd([{ goal: 'pour the tea into the teapot', where: 'test' }], { kind: 'perceiver-bytes', length: 8 })).toEqual([]);
  });

  it('refuses a goal longer than the language length, naming the goal and the words that cannot be added', () => {
    expect(() => words(['pour the hot tea into the small blue teapot'])).toThrow(
      /data: goal "pour the hot tea into the small blue teapot" \(test\) has 9 words, but the checkpoint's language length 8 reads at most 6: "small blue teapot" cannot be added/,
    );
  });

  it('starts each new row as a copy of the row the word hashed to, moments included', () => {
    const model = fakeWeights(TINY, 2);
    const grown = extendVocabularyRows(model, TINY, ['tea', 'teapot']);
    for (const name of ['language.embedding', 'grounding.words']) {
      const before = model.get(name)!;
      const after = grown.get(name)!;
      const width = before.shape[1];
      expect(after.shape).toEqual([WORD_VOCAB_SIZE + 2, width]);
      expect(after.data.subarray(0, before.data.length)).toEqual(before.data);
      expect(after.data.subarray(WORD_VOCAB_SIZE * width, (WORD_VOCAB_SIZE + 1) * width)).toEqual(before.data.subarray(wordId('tea') * width, (wordId('tea') + 1) * width));
    }
    expect(grown.get('latents')).toBe(model.get('latents'));
    const moments: TensorMap = new Map([['language.embedding.m', model.get('language.embedding')!]]);
    expect(extendVocabularyRows(moments, TINY, ['tea']).get('language.embedding.m')!.shape).toEqual([WORD_VOCAB_SIZE + 1, TINY.languageEmbedDim]);
  });

  it('round-trips through a checkpoint: the policy reads the added words as their new ids', async () => {
    const network = { ...TINY, vocabSize: WORD_VOCAB_SIZE + 2 };
    const folder = join(dir, 'extended');
    await saveCheckpoint(folder, payload(network, { tokenizer: { kind: 'words-v1', length: 8, vocab: WORD_VOCAB_SIZE + 2, addedWords: ['tea', 'teapot'] } }));
    const loaded = await loadCheckpoint(folder);
    expect(loaded.config.tokenizer.addedWords).toEqual(['tea', 'teapot']);
    const { policy } = await loadPolicy(folder);
    expect(Array.from(policy.encoder.language('Pour the tea into the teapot'))).toEqual([4, wordId('pour'), wordId('the'), WORD_VOCAB_SIZE, wordId('into'), wordId('the'), WORD_VOCAB_SIZE + 1, 5]);
  });

  it('an old checkpoint without added words loads unchanged', async () => {
    const folder = join(dir, 'old');
    await saveCheckpoint(folder, payload(TINY));
    const loaded = await loadCheckpoint(folder);
    expect(loaded.config.tokenizer).toEqual({ kind: 'words-v1', length: 8, vocab: WORD_VOCAB_SIZE });
    const { policy } = await loadPolicy(folder);
    expect(policy.spec.addedWords).toBeUndefined();
    expect(policy.encoder.language('pour the tea')).toEqual(tokenizeWords('pour the tea', 8).ids);
    const shipped = await loadCheckpoint('models/peract-c2f', { optimizer: false });
    expect(checkpointSpec(shipped.config).addedWords).toBeUndefined();
  });

  it('refuses added words that do not match the vocabulary, naming the field', async () => {
    const network = { ...TINY, vocabSize: WORD_VOCAB_SIZE + 1 };
    const tokenizer = (addedWords: string[], vocab = WORD_VOCAB_SIZE + 1) => ({ tokenizer: { kind: 'words-v1', length: 8, vocab, addedWords } });
    await expect(saveCheckpoint(join(dir, 'bad'), payload(network, tokenizer(['tea', 'teapot'])))).rejects.toThrow(/payload.tokenizer.vocab/);
    await expect(saveCheckpoint(join(dir, 'bad'), payload(network, tokenizer(['red'])))).rejects.toThrow(/tokenizer.addedWords\[0\]: "red" is already in the words-v1 vocabulary/);
    await expect(saveCheckpoint(join(dir, 'bad'), payload(network, tokenizer(['two words'])))).rejects.toThrow(/is not one normalised word/);
    // Extra rows without their words are refused too.
    await expect(saveCheckpoint(join(dir, 'bad'), payload(network))).rejects.toThrow(/payload.tokenizer.vocab/);
  });
});

describe('init optimizer state', () => {
  it('names a slot whose shape differs from its parameter', () => {
    const params = new Map([['w', tf.variable(tf.zeros([2, 3]))]]);
    const optimizer = new Optimizer({ kind: 'adam' });
    const slot = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    expect(() => restoreInitOptimizer(optimizer, params, { tensors: new Map([['w.m', slot([3, 2])]]), step: 4 })).toThrow(/initOptimizer: slot 'w.m' has shape \[3,2\], parameter 'w' has \[2,3\]/);
    expect(() => restoreInitOptimizer(optimizer, params, { tensors: new Map([['u.v', slot([2, 3])]]), step: 4 })).toThrow(/initOptimizer: slot 'u.v' belongs to no parameter/);
    restoreInitOptimizer(optimizer, params, { tensors: new Map([['w.m', slot([2, 3])]]), step: 4 });
    expect(optimizer.step).toBe(4);
    expect([...optimizer.state.keys()]).toEqual(['w.m']);
    optimizer.dispose();
    params.get('w')!.dispose();
  });
});
