import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetwork, disposeNetwork, latestCheckpoint, loadCheckpoint, loadPolicy, train, type TrainOptions } from '../../agent/index.js';
import { assignParams } from '../../agent/checkpoint/index.js';
import { computeGradients } from '../../agent/network/index.js';
import { toTensors } from '../../agent/training/batch-tensors.js';
import { buildSampleIndex } from '../../agent/training/data/sample-index.js';
import { batchPlan, BatchBuilder } from '../../agent/training/data/batch-builder.js';
import { checkpointSpec } from '../../agent/acting/load-policy.js';
import { WORD_VOCAB_SIZE, wordId } from '../../perception/index.js';
import { openDataset, openDatasetWriter } from '../../dataset/index.js';
import { generateDemos } from '../../sim/index.js';

// The trainer tests' tiny network, without dropout so a loss can be recomputed exactly.
const TINY = { gridSize: 16, patchSize: 4, voxelTokenDim: 32, proprioFeatureDim: 8, languageEmbedDim: 8, numLatents: 16, latentDim: 32, selfAttentionLayers: 1, selfHeads: 2, selfHeadDim: 16, crossHeadDim: 16, headHidden: [64, 32] as [number, number], dropout: 0 };
const RECORDED_GOAL = 'pour the tea into the teapot';

let dir: string;
let sim: string;
let recorded: string;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peract-finetune-'));
  sim = join(dir, 'sim');
  recorded = join(dir, 'recorded');
  base = join(dir, 'base');
  await generateDemos({ dir: sim, tasks: ['reach_target'], episodes: 1, seed: 0 });
  // A "robot" dataset: the same motion under a task the simulator does not know, with a goal of
  // words outside the vocabulary ("tea", "teapot" would be hashed).
  const source = await openDataset(sim);
  const episode = await source.loadEpisode(source.manifest.episodes[0]);
  const writer = await openDatasetWriter(recorded, { create: true });
  await writer.writeEpisode({ ...episode, task: 'pour_tea', seed: 7, goals: [RECORDED_GOAL] });
  await train(options(base, { data: [sim], preset: 'cpu', network: TINY, steps: 4, checkpointEvery: 4 }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    data: [recorded],
    out,
    steps: 4,
    batch: 4,
    seed: 5,
    optimizer: 'adam',
    learningRate: 1e-3,
    schedule: 'constant',
    weightDecay: 0,
    checkpointEvery: 2,
    evalEvery: 2,
    augmentation: false,
    backend: 'wasm',
    inProcessData: true,
    ...extra,
  };
}

async function newest(run: string) {
  return loadCheckpoint((await latestCheckpoint(run))!.dir);
}

describe('train with init (fine-tuning)', () => {
  it('starts from the init weights, extends the vocabulary and records where it started', async () => {
    const notes: string[] = [];
    const out = join(dir, 'tuned');
    await train(options(out, { init: base, onNote: (l) => notes.push(l) }));
    expect(notes).toEqual([expect.stringMatching(/^vocabulary: added 2 words \(tea, teapot\)/)]);

    // The first step's loss is the init model's loss on that batch, read with the init's own
    // tokenizer (the new words hashed): the new rows start as copies of the hashed ones.
    const init = await newest(base);
    const initSpec = checkpointSpec(init.config);
    const index = await buildSampleIndex([recorded]);
    const plan = batchPlan(index, 5, 1, 4);
    const batch = await new BatchBuilder(index, initSpec, { enabled: false }).build(plan.sampleIds, plan.augmentSeed);
    const net = createNetwork(init.config.network, 0);
    assignParams(net.params, init.model);
    const { grads, losses } = await computeGradients(net, toTensors(batch, initSpec, batch.translation.length), { translationSigmaVoxels: 1, rotationSigmaBins: 1 });
    grads.forEach((g) => g.dispose());
    disposeNetwork(net);
    const first = JSON.parse((await readFile(join(out, 'metrics.jsonl'), 'utf8')).split('\n')[0]) as { step: number; total: number };
    expect(first.step).toBe(1);
    expect(first.total).toBeCloseTo(losses.total, 5);

    const tuned = await newest(out);
    expect(tuned.config.step).toBe(4);
    expect(tuned.config.optimizerStep).toBe(4);
    expect(tuned.config.preset).toBe('cpu');
    expect(tuned.config.tokenizer).toEqual({ kind: 'words-v1', length: init.config.tokenizer.length, vocab: WORD_VOCAB_SIZE + 2, addedWords: ['tea', 'teapot'] });
    expect(tuned.config.network).toEqual({ ...init.config.network, vocabSize: WORD_VOCAB_SIZE + 2 });
    expect(tuned.config.initialisedFrom).toEqual({ dir: base, step: 4, modelSha256: init.config.files['model.safetensors'].sha256 });
    expect(tuned.config.training.init).toBe(base);
    // The simulator's demo seeds stay excluded from evaluation; the robot's task is recorded too.
    expect(JSON.parse(String(tuned.config.training.demoSeeds))).toEqual({ pour_tea: '7', reach_target: '0' });

    // Acting, accuracy and evaluation read goals through the loaded policy's spec.
    const { policy } = await loadPolicy(out);
    expect(policy.spec.addedWords).toEqual(['tea', 'teapot']);
    const ids = Array.from(policy.encoder.language(RECORDED_GOAL));
    expect(ids.slice(1, 7)).toEqual([wordId('pour'), wordId('the'), WORD_VOCAB_SIZE, wordId('into'), wordId('the'), WORD_VOCAB_SIZE + 1]);
  });

  it('resumes a fine-tuning run from its own checkpoint, ignoring init with a note', async () => {
    const out = join(dir, 'tuned-resumed');
    await train(options(out, { init: base, stopAfter: 3 }));
    const notes: string[] = [];
    const resumed = await train(options(out, { init: join(dir, 'moved-away'), onNote: (l) => notes.push(l) }));
    expect(resumed.startStep).toBe(2);
    expect(notes).toEqual([expect.stringMatching(/^resuming .* from step 2; --init .*moved-away ignored \(the run started from .*base\)$/)]);
    const a = await newest(join(dir, 'tuned'));
    const b = await newest(out);
    expect(b.config.initialisedFrom).toEqual(a.config.initialisedFrom);
    for (const [name, t] of a.model) expect(Buffer.from(b.model.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    await expect(train(options(out))).rejects.toThrow(/init: .* holds a run fine-tuned from .*base; rerun with --init/);
    await expect(train(options(join(dir, 'base'), { data: [sim], init: base }))).rejects.toThrow(/init: .* holds a run trained from scratch/);
  });

  it('starts the optimizer fresh unless initOptimizer asks for the init checkpoint state', async () => {
    const fresh = await newest(join(dir, 'tuned'));
    await train(options(join(dir, 'moments'), { init: base, initOptimizer: true, steps: 2 }));
    const resumed = await newest(join(dir, 'moments'));
    expect(resumed.config.step).toBe(2);
    expect(resumed.config.optimizerStep).toBe(4 + 2);
    expect(resumed.config.training.initOptimizer).toBe(true);
    expect(fresh.config.training.initOptimizer).toBe(false);
    // The shipped model holds weights only.
    await expect(train(options(join(dir, 'no-moments'), { init: 'models/peract-c2f', initOptimizer: true }))).rejects.toThrow(/initOptimizer: .* holds no optimizer state/);
  });

  it('refuses settings that contradict the init checkpoint, naming them', async () => {
    const out = join(dir, 'bad');
    await expect(train(options(out, { init: base, preset: 'cpu' }))).rejects.toThrow(/^preset: cannot be given with --init/);
    await expect(train(options(out, { init: base, network: { numLatents: 8 } }))).rejects.toThrow(/^network: cannot be given with --init/);
    await expect(train(options(out, { init: base, bounds: [0, 0, 0, 1, 1, 1] }))).rejects.toThrow(/^bounds: cannot be given with --init/);
    await expect(train(options(out, { preset: 'cpu', network: TINY, initOptimizer: true }))).rejects.toThrow(/^initOptimizer: needs init/);
    await expect(train(options(out, { init: join(dir, 'nothing') }))).rejects.toThrow(/nothing/);
  });

  it('trains from scratch with dataset weights on a task the simulator does not know', async () => {
    const out = join(dir, 'weighted');
    await train(options(out, { data: [sim, recorded], dataWeights: [1, 3], preset: 'cpu', network: TINY, steps: 2 }));
    const c = await newest(out);
    expect(c.config.training.dataWeights).toEqual([1, 3]);
    // From scratch, a new word shares its hash bucket: no rows are added.
    expect(c.config.tokenizer.addedWords).toBeUndefined();
    expect(JSON.parse(String(c.config.training.demoSeeds))).toEqual({ pour_tea: '7', reach_target: '0' });
    await expect(train(options(join(dir, 'weighted-bad'), { data: [sim, recorded], dataWeights: [1, 0], preset: 'cpu', network: TINY }))).rejects.toThrow(/dataWeights: weight of .*recorded must be a number > 0/);
  });
});
