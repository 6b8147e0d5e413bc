/**
 * How a training run starts: from scratch (a preset), from another checkpoint (`init`, fine-tuning
 * on new demonstrations), or, when the run folder already holds checkpoints, as the run itself
 * started (the trainer then resumes from its newest checkpoint).
 */
import { join } from 'node:path';
import type { Variable } from '@tensorflow/tfjs-core';
import { invalidArgument, parseSeedRanges, readJsonChecked } from '../../core/index.js';
import { vocabSizeOf, type TokenizerKind } from '../../perception/index.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  checkpointConfigSchema,
  CONFIG_FILE,
  loadCheckpoint,
  MODEL_FILE,
  restoreOptimizerState,
  type CheckpointConfig,
  type CheckpointRef,
  type InitRecord,
  type TensorMap,
} from '../checkpoint/index.js';
import { checkpointSpec, resolveCheckpointDir } from '../acting/load-policy.js';
import { resolveConfig, type NetworkConfig, type Optimizer } from '../network/index.js';
import type { SampleIndex } from './data/sample-index.js';
import { agentSpec, TABLETOP_BOUNDS, type AgentSpec } from '../encoding/spec.js';
import type { TrainOptions } from './trainer.js';
import { datasetGoals, extendedConfig, extendVocabularyRows, wordsToAdd } from './vocabulary.js';

export interface RunStart {
  /** Preset name recorded in the run's checkpoints (the init checkpoint's when fine-tuning). */
  preset: string;
  config: NetworkConfig;
  spec: AgentSpec;
  /** A new fine-tuning run: the init checkpoint's weights, vocabulary extended. */
  model?: TensorMap;
  /** A new fine-tuning run with `initOptimizer`: the init checkpoint's moments and optimizer step. */
  optimizer?: { tensors: TensorMap; step: number };
  /** Fine-tuning runs: where the weights came from (recorded in every checkpoint). */
  initialisedFrom?: InitRecord;
  /** Per task, the demonstration seeds the init checkpoint was trained on (evaluation avoids them too). */
  initDemoSeeds: Record<string, string>;
  /** Fine-tuning: the fine-cube offset the init checkpoint trained with (the default for this run). */
  fineJitterMetres?: number;
  /** Training-record fields of fine-tuning and weighted runs (none otherwise, so older runs resume). */
  training: Record<string, string | boolean | number[]>;
}

/**
 * Settles the network, agent spec and starting weights of a run. `latest` is the run folder's
 * newest checkpoint, if any: a run that started from `init` resumes without reading `init`
 * again (a note says so); a run cannot switch between scratch and fine-tuning.
 */
export async function runStart(o: TrainOptions, index: SampleIndex, latest: CheckpointRef | undefined): Promise<RunStart> {
  const startedFrom = latest ? (await readJsonChecked(join(latest.dir, CONFIG_FILE), checkpointConfigSchema, 'checkpoint config', { format: CHECKPOINT_FORMAT, formatVersion: CHECKPOINT_FORMAT_VERSION })).initialisedFrom : undefined;
  const weights: RunStart['training'] = o.dataWeights ? { dataWeights: [...o.dataWeights] } : {};
  if (o.init === undefined) {
    if (o.initOptimizer) throw invalidArgument('initOptimizer', 'needs init (the checkpoint whose optimizer state to resume)');
    if (startedFrom) throw invalidArgument('init', `${o.out} holds a run fine-tuned from ${startedFrom.dir}; rerun with --init to resume it, or use another --out`);
    return { ...fromScratch(o), initDemoSeeds: {}, training: weights };
  }
  if (typeof o.init !== 'string' || o.init.length === 0) throw invalidArgument('init', 'must name a checkpoint or run folder');
  for (const field of ['preset', 'network', 'bounds'] as const) {
    if (o[field] !== undefined) throw invalidArgument(field, `cannot be given with --init: the network, tokenizer and agent settings come from ${o.init}`);
  }
  const training: RunStart['training'] = { ...weights, initOptimizer: o.initOptimizer === true };
  if (latest) {
    if (!startedFrom) throw invalidArgument('init', `${o.out} holds a run trained from scratch; fine-tuning starts a new run: use another --out`);
    const run = await loadCheckpoint(latest.dir, { optimizer: false });
    o.onNote?.(`resuming ${o.out} from step ${latest.step}; --init ${o.init} ignored (the run started from ${startedFrom.dir})`);
    const words = wordsToAdd(datasetGoals(index.datasets), tokenizerOf(run.config));
    if (words.length > 0) throw invalidArgument('data', `goals hold words this run's vocabulary lacks (${words.join(', ')}); a resumed run cannot add words: use another --out`);
    return { ...settingsOf(run.config), initialisedFrom: startedFrom, training: { ...training, init: startedFrom.dir } };
  }
  const dir = await resolveCheckpointDir(o.init);
  const init = await loadCheckpoint(dir, { optimizer: o.initOptimizer === true });
  if (o.initOptimizer && !init.optimizer) {
    throw invalidArgument('initOptimizer', `${dir} holds no optimizer state (weights only); leave out --init-optimizer to start the optimizer fresh`);
  }
  const settings = settingsOf(init.config);
  const words = wordsToAdd(datasetGoals(index.datasets), tokenizerOf(init.config));
  if (words.length > 0) o.onNote?.(`vocabulary: added ${words.length} word${words.length > 1 ? 's' : ''} (${words.join(', ')}), each starting from the row it hashed to`);
  const config = extendedConfig(settings.config, words.length);
  const spec = words.length > 0 ? agentSpec({ ...settings.spec, addedWords: [...(settings.spec.addedWords ?? []), ...words] }) : settings.spec;
  const initialisedFrom: InitRecord = { dir: o.init, step: init.config.step, modelSha256: init.config.files[MODEL_FILE].sha256 };
  return {
    ...settings,
    config,
    spec,
    model: extendVocabularyRows(init.model, settings.config, words),
    ...(init.optimizer ? { optimizer: { tensors: extendVocabularyRows(init.optimizer, settings.config, words), step: init.config.optimizerStep ?? init.config.step } } : {}),
    initialisedFrom,
    training: { ...training, init: o.init },
  };
}

function fromScratch(o: TrainOptions): Pick<RunStart, 'preset' | 'config' | 'spec'> {
  if (o.preset === undefined) throw invalidArgument('preset', 'give a network preset (or init, to fine-tune a checkpoint)');
  const config = resolveConfig(o.preset, o.network ?? {});
  // Extra rows only come from fine-tuning, which lists their words in the checkpoint.
  if (config.vocabSize !== vocabSizeOf(config.tokenizer)) {
    throw invalidArgument('network.vocabSize', `is set by the tokenizer (${vocabSizeOf(config.tokenizer)} for ${config.tokenizer}), got ${config.vocabSize}`);
  }
  const spec = agentSpec({
    gridSize: config.gridSize,
    bounds: o.bounds ?? TABLETOP_BOUNDS,
    tokenLength: config.languageLength,
    tokenizer: config.tokenizer,
    fineCubeMetres: config.fineCubeMetres,
  });
  return { preset: o.preset, config, spec };
}

/** What a checkpoint fixes for a run that starts from it. */
function settingsOf(c: CheckpointConfig): Pick<RunStart, 'preset' | 'config' | 'spec' | 'initDemoSeeds' | 'fineJitterMetres'> {
  const demoSeeds = typeof c.training.demoSeeds === 'string' ? (JSON.parse(c.training.demoSeeds) as Record<string, string>) : {};
  const jitter = c.training.fineJitterMetres;
  return {
    preset: c.preset,
    config: c.network,
    spec: checkpointSpec(c),
    initDemoSeeds: demoSeeds,
    ...(typeof jitter === 'number' ? { fineJitterMetres: jitter } : {}),
  };
}

function tokenizerOf(c: CheckpointConfig): { kind: TokenizerKind; length: number; addedWords?: readonly string[] } {
  return { kind: c.network.tokenizer, length: c.tokenizer.length, ...(c.tokenizer.addedWords ? { addedWords: c.tokenizer.addedWords } : {}) };
}

/**
 * Starts the optimizer from the init checkpoint's moments. Every moment must belong to a
 * parameter of the network and have its shape; the error names the first slot that does not.
 */
export function restoreInitOptimizer(optimizer: Optimizer, params: ReadonlyMap<string, Variable>, state: { tensors: TensorMap; step: number }): void {
  for (const [name, t] of state.tensors) {
    const parameter = /^(.+)\.(m|v)$/.exec(name)?.[1];
    const p = parameter === undefined ? undefined : params.get(parameter);
    if (!p) throw invalidArgument('initOptimizer', `slot '${name}' belongs to no parameter of this network`);
    if (p.shape.join() !== t.shape.join()) {
      throw invalidArgument('initOptimizer', `slot '${name}' has shape [${t.shape.join(',')}], parameter '${parameter}' has [${p.shape.join(',')}]`);
    }
  }
  restoreOptimizerState(optimizer, state.tensors, state.step);
}

/** Per task, the union of the run's demonstration seeds and the init checkpoint's. */
export function mergeDemoSeeds(seeds: ReadonlyMap<string, ReadonlySet<number>>, initSeeds: Record<string, string>): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const [task, s] of seeds) out.set(task, new Set(s));
  for (const [task, text] of Object.entries(initSeeds)) {
    const mine = out.get(task) ?? new Set<number>();
    for (const seed of parseSeedRanges(text)) mine.add(seed);
    out.set(task, mine);
  }
  return out;
}
