// Just over 400 lines: the training loop with its resume, schedule, checkpoints and progress in one
// place, so a reader follows a run from start to finish; run files and fine-tuning live beside it.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { formatSeedRanges, invalidArgument, PeractError, Rng, sha256Hex, writeJsonAtomic } from '../../core/index.js';
import type { SceneBounds } from '../../perception/index.js';
import { selectBackend, type BackendName } from '../backend/backend.js';
import {
  assignParams,
  latestCheckpoint,
  loadCheckpoint,
  restoreOptimizerState,
  saveRunCheckpoint,
  tensorsFromParams,
} from '../checkpoint/index.js';
import { batchPlan, BatchBuilder } from './data/batch-builder.js';
import { GradientReplicas } from './gradient-replica.js';
import { DataPipeline } from './data/pipeline.js';
import { buildSampleIndex, datasetDraws } from './data/sample-index.js';
import { mergeDemoSeeds, restoreInitOptimizer, runStart, type RunStart } from './fine-tune.js';
import {
  createNetwork,
  disposeNetwork,
  forward,
  learningRateAt,
  Optimizer,
  trainStep,
  type LearningRateSchedule,
  type LossValues,
  type NetworkConfig,
  type PeractNetwork,
  type PresetName,
  type ScheduleKind,
} from '../network/index.js';
import { trimMetrics, writeCurves } from './run-files.js';
import { toTensors } from './batch-tensors.js';
import type { BatchArrays } from '../encoding/samples.js';
import { defaultFineJitterMetres, TABLETOP_BOUNDS, type AgentSpec } from '../encoding/spec.js';

export interface TrainOptions {
  /** Dataset folders (peract demos). */
  data: string[];
  /**
   * One weight (> 0) per `data` folder: a dataset is drawn in proportion to its weight, then a
   * task of it uniformly, then a pair of that task. Default: tasks drawn uniformly across all folders.
   */
  dataWeights?: number[];
  /** Run folder: checkpoints, metrics.jsonl, curves. Rerunning the same command resumes. */
  out: string;
  /** Network preset; required unless `init` is given (then it comes from the checkpoint). */
  preset?: PresetName;
  /** Field-by-field overrides of the preset (not with `init`). */
  network?: Partial<NetworkConfig>;
  /**
   * Fine-tune: start from this checkpoint folder (or a run folder's newest checkpoint). Weights,
   * network, tokenizer, bounds and the other agent settings come from it; step counting and the
   * learning-rate schedule start at 0. Ignored (with a note) when `out` already holds the run.
   */
  init?: string;
  /** With `init`: start from its optimizer moments instead of fresh ones. */
  initOptimizer?: boolean;
  /** One-line messages for the user: words added to the vocabulary, an `init` that a resume ignores. */
  onNote?: (line: string) => void;
  steps: number;
  batch: number;
  seed: number;
  optimizer: 'lamb' | 'adam';
  learningRate: number;
  /** 'cosine' (default): warm up, then decay to 5 % of the rate at `steps`; 'constant'. */
  schedule?: ScheduleKind;
  /** Linear warm-up steps. Default 100 (0 with a constant schedule). */
  warmupSteps?: number;
  /** Gaussian spread of the translation target in voxels (0 = one-hot). Default 1. */
  translationSigmaVoxels?: number;
  /** Circular Gaussian spread of each rotation target in bins (0 = one-hot). Default 1. */
  rotationSigmaBins?: number;
  weightDecay: number;
  /** Save a checkpoint every this many steps (and at the end). */
  checkpointEvery: number;
  /** Training-set accuracy on a fixed probe batch every this many steps. */
  evalEvery: number;
  augmentation: boolean;
  /**
   * Coarse-to-fine presets: the fine cube is centred on the demonstrated position plus a uniform
   * offset of up to this many metres per axis. Default: one coarse voxel's largest edge.
   */
  fineJitterMetres?: number;
  /** Held-out dataset folders: accuracy on a fixed batch of them is logged as val_* (metrics.jsonl, accuracy.png). */
  validation?: string[];
  /** Workspace of the voxel grid (not with `init`). Default `TABLETOP_BOUNDS`. */
  bounds?: SceneBounds;
  backend?: BackendName;
  /**
   * Training threads: 1 trains on this thread alone; n > 1 adds n - 1 gradient replicas on
   * worker threads, each computing 1/n of every batch (wasm/cpu backends). Default 1.
   */
  replicas?: number;
  /** Build batches on the main thread (tests); default: a worker thread on the second core. */
  inProcessData?: boolean;
  /** Stop after this many steps of this invocation (tests of resume); the run stays resumable. */
  stopAfter?: number;
  /** Wall-clock budget of this invocation: stop (with a checkpoint) when it is spent. */
  maxSeconds?: number;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  stepsPerSec: number;
  /** Fraction of the trainer's time spent waiting for data (0 = the pipeline keeps up). */
  dataWaitFraction: number;
}

export interface Accuracy {
  /** Exactly the target voxel. */
  translation: number;
  /** Within one voxel of the target along every axis. */
  translationNear: number;
  rotation: number;
  gripper: number;
  collision: number;
  /** Coarse-to-fine agents: the coarse level within one (coarse) voxel; translation* above are the fine level's. */
  coarseNear?: number;
}

export interface TrainResult {
  runDir: string;
  backend: string;
  startStep: number;
  step: number;
  seconds: number;
  finalLoss: number;
  accuracy: Accuracy;
  /** On the validation batch, when `validation` was given. */
  validationAccuracy?: Accuracy;
  dataWaitFraction: number;
}

const PROBE_SAMPLES = 16;
const VALIDATION_SAMPLES = 48;
const DEFAULT_WARMUP = 100;
const FINAL_LR_FRACTION = 0.05;

/**
 * Behaviour cloning of one multi-task agent: four cross-entropies, LAMB (PerAct's choice) or
 * Adam, PerAct's keyframe pairs and SE(3) augmentation, batches prepared on a worker thread.
 * Checkpoints are written atomically; rerunning the same command resumes from the newest one
 * and gives the same result as an uninterrupted run (batches are a function of seed and step,
 * and the weights, optimizer moments and dropout generator are all in the checkpoint).
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  checkOptions(options);
  const { name: backend } = await selectBackend(options.backend);
  const index = await buildSampleIndex(options.data);
  const draws = options.dataWeights ? datasetDraws(index, options.dataWeights) : undefined;
  const latest = existsSync(options.out) ? await latestCheckpoint(options.out) : undefined;
  const start = await runStart(options, index, latest);
  const { config, spec } = start;
  const fineJitterMetres = fineJitterOf(options, spec, start.fineJitterMetres);
  const hyper = {
    ...hyperParameters(options, backend, start),
    ...start.training,
    ...(spec.fineCubeMetres > 0 ? { fineJitterMetres } : {}),
    demoSeeds: JSON.stringify(demoSeeds(mergeDemoSeeds(index.seeds, start.initDemoSeeds))),
  };
  const datasets = await Promise.all(options.data.map(async (dir) => ({ dir, manifestSha256: sha256Hex(await readFile(join(dir, 'manifest.json'))) })));
  await mkdir(options.out, { recursive: true });

  const net = createNetwork(config, options.seed);
  const optimizer = new Optimizer({ kind: options.optimizer, learningRate: options.learningRate, weightDecay: options.weightDecay });
  let step = 0;
  if (!latest && start.model) assignParams(net.params, start.model);
  if (!latest && start.optimizer) restoreInitOptimizer(optimizer, net.params, start.optimizer);
  if (latest) {
    const loaded = await loadCheckpoint(latest.dir, { expectConfig: config });
    const saved = JSON.stringify(loaded.config.training);
    if (saved !== JSON.stringify(hyper)) {
      throw invalidArgument('out', `${options.out} holds a run with other settings (${saved}); use another --out to start a new run`);
    }
    assignParams(net.params, loaded.model);
    if (loaded.optimizer) restoreOptimizerState(optimizer, loaded.optimizer, loaded.config.optimizerStep ?? loaded.config.step);
    const dropout = loaded.config.rng.dropout;
    if (dropout) net.dropoutRng = Rng.fromState(dropout);
    step = loaded.config.step;
  }
  const startStep = step;
  await trimMetrics(options.out, step);

  const probe = await probeBatch(index, spec, options.seed, PROBE_SAMPLES, fineJitterMetres);
  const validation = options.validation?.length ? await probeBatch(await buildSampleIndex(options.validation), spec, options.seed, VALIDATION_SAMPLES, fineJitterMetres) : undefined;
  const schedule = scheduleOf(options);
  const stepOptions = (s: number) => ({ loss: { translationSigmaVoxels: options.translationSigmaVoxels ?? 1, rotationSigmaBins: options.rotationSigmaBins ?? 1 }, learningRate: learningRateAt(schedule, s) });
  const pipeline = await DataPipeline.start({
    dirs: options.data,
    index,
    spec,
    augmentation: { enabled: options.augmentation, fineJitterMetres },
    seed: options.seed,
    batchSize: options.batch,
    ...(draws ? { draws } : {}),
    inProcess: options.inProcessData,
  });
  let replicas: GradientReplicas | undefined;
  try {
    if ((options.replicas ?? 1) > 1) replicas = await GradientReplicas.start((options.replicas ?? 1) - 1, config, spec, backend);
  } catch (err) {
    await pipeline.close();
    throw err;
  }
  const save = async (): Promise<void> => {
    await saveRunCheckpoint(options.out, step, {
      preset: start.preset,
      network: config,
      ...(spec.addedWords ? { tokenizer: { kind: config.tokenizer, length: config.languageLength, vocab: config.vocabSize, addedWords: [...spec.addedWords] } } : {}),
      ...(start.initialisedFrom ? { initialisedFrom: start.initialisedFrom } : {}),
      training: hyper,
      bounds: [...spec.bounds],
      episodeLength: spec.episodeLength,
      datasets,
      model: await tensorsFromParams(net.params),
      optimizer: await tensorsFromParams(optimizer.state),
      optimizerStep: optimizer.step,
      rngStates: { dropout: net.dropoutRng.state() },
    });
  };

  const t0 = performance.now();
  let lastLoss = Number.NaN;
  let accuracy = await evaluateAccuracy(net, probe, spec);
  let validationAccuracy = validation ? await evaluateAccuracy(net, validation, spec) : undefined;
  const lastStep = Math.min(options.steps, options.stopAfter !== undefined ? step + options.stopAfter : options.steps);
  try {
    while (step < lastStep) {
      const batch = await pipeline.next(step + 1);
      let losses: LossValues;
      if (replicas) {
        losses = await replicas.step(net, optimizer, batch, spec, stepOptions(step + 1));
      } else {
        const tensors = toTensors(batch, spec, batch.translation.length);
        losses = await trainStep(net, optimizer, tensors, stepOptions(step + 1));
        tf.dispose([...Object.values(tensors.input), ...Object.values(tensors.targets)]);
      }
      step++;
      lastLoss = losses.total;
      const record: Record<string, number> = { step, ...losses, lr: learningRateAt(schedule, step), seconds: (performance.now() - t0) / 1000 };
      if (step % options.evalEvery === 0 || step === options.steps) {
        accuracy = await evaluateAccuracy(net, probe, spec);
        Object.assign(record, Object.fromEntries(Object.entries(accuracy).map(([k, v]) => [`acc_${k}`, v])));
        if (validation) {
          validationAccuracy = await evaluateAccuracy(net, validation, spec);
          Object.assign(record, Object.fromEntries(Object.entries(validationAccuracy).map(([k, v]) => [`val_${k}`, v])));
        }
      }
      await appendFile(join(options.out, 'metrics.jsonl'), `${JSON.stringify(record)}\n`);
      const elapsed = (performance.now() - t0) / 1000;
      options.onProgress?.({
        step,
        steps: options.steps,
        loss: losses.total,
        stepsPerSec: (step - startStep) / elapsed,
        dataWaitFraction: pipeline.waitMs / 1000 / elapsed,
      });
      if (!Number.isFinite(losses.total)) throw new PeractError('INTERNAL', `loss became ${losses.total} at step ${step}; lower --lr`);
      const outOfTime = options.maxSeconds !== undefined && elapsed >= options.maxSeconds;
      if (step % options.checkpointEvery === 0 || step === options.steps || outOfTime) await save();
      if (outOfTime) break;
    }
  } finally {
    await pipeline.close();
    await replicas?.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const dataWaitFraction = seconds > 0 ? pipeline.waitMs / 1000 / seconds : 0;
  await writeCurves(options.out);
  const result: TrainResult = { runDir: options.out, backend, startStep, step, seconds, finalLoss: lastLoss, accuracy, ...(validationAccuracy ? { validationAccuracy } : {}), dataWaitFraction };
  const { runDir: _runDir, ...summary } = result;
  await writeJsonAtomic(join(options.out, 'summary.json'), summary);
  disposeNetwork(net);
  optimizer.state.forEach((v) => v.dispose());
  return result;
}

/** Per task, the seeds the demonstrations came from: evaluation refuses to reuse them. */
function demoSeeds(seeds: Map<string, Set<number>>): Record<string, string> {
  return Object.fromEntries([...seeds.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([task, s]) => [task, formatSeedRanges(s)]));
}

function checkOptions(o: TrainOptions): void {
  if (!Array.isArray(o.data) || o.data.length === 0) throw invalidArgument('data', 'give at least one dataset folder');
  if (typeof o.out !== 'string' || !o.out) throw invalidArgument('out', 'must name a run folder');
  for (const f of ['steps', 'batch', 'checkpointEvery', 'evalEvery'] as const) {
    if (!Number.isInteger(o[f]) || o[f] < 1) throw invalidArgument(f, `must be an integer >= 1, got ${o[f]}`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0) throw invalidArgument('seed', `must be an integer >= 0, got ${o.seed}`);
  if (!(o.learningRate > 0)) throw invalidArgument('lr', `must be > 0, got ${o.learningRate}`);
  if (!(o.weightDecay >= 0)) throw invalidArgument('weightDecay', `must be >= 0, got ${o.weightDecay}`);
  if (o.schedule !== undefined && o.schedule !== 'constant' && o.schedule !== 'cosine') throw invalidArgument('schedule', `must be constant or cosine, got ${String(o.schedule)}`);
  if (o.warmupSteps !== undefined && !(Number.isInteger(o.warmupSteps) && o.warmupSteps >= 0)) throw invalidArgument('warmupSteps', `must be an integer >= 0, got ${o.warmupSteps}`);
  for (const [field, value] of [['translationSigmaVoxels', o.translationSigmaVoxels], ['rotationSigmaBins', o.rotationSigmaBins]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw invalidArgument(field, `must be a number >= 0, got ${value}`);
  }
  if (o.replicas !== undefined && !(Number.isInteger(o.replicas) && o.replicas >= 1)) throw invalidArgument('replicas', `must be an integer >= 1, got ${o.replicas}`);
  if ((o.replicas ?? 1) > 1 && o.batch % (o.replicas ?? 1) !== 0) throw invalidArgument('batch', `must be a multiple of replicas (${o.replicas}), got ${o.batch}`);
  if (o.validation !== undefined && !Array.isArray(o.validation)) throw invalidArgument('validation', 'must be a list of dataset folders');
}

/**
 * The fine cube's training offset: the option, else the init checkpoint's, else one coarse voxel's
 * largest edge; it must leave the target inside the cube.
 */
function fineJitterOf(o: TrainOptions, spec: AgentSpec, initJitterMetres: number | undefined): number {
  if (spec.fineCubeMetres === 0) return 0;
  const jitter = o.fineJitterMetres ?? initJitterMetres ?? defaultFineJitterMetres(spec);
  const limit = spec.fineCubeMetres / 2 - spec.fineCubeMetres / spec.gridSize;
  if (!(Number.isFinite(jitter) && jitter >= 0 && jitter <= limit)) {
    throw invalidArgument('fineJitterMetres', `must be in [0, ${limit.toFixed(4)}] (half the fine cube less one voxel), got ${jitter}`);
  }
  return jitter;
}

function scheduleOf(o: TrainOptions): LearningRateSchedule {
  const kind = o.schedule ?? 'cosine';
  return { kind, base: o.learningRate, warmupSteps: o.warmupSteps ?? (kind === 'cosine' ? DEFAULT_WARMUP : 0), totalSteps: o.steps, finalFraction: FINAL_LR_FRACTION };
}

/** What makes two runs the same run (resuming with other settings is refused). */
function hyperParameters(o: TrainOptions, backend: string, start: RunStart): Record<string, string | number | boolean | null | string[]> {
  return {
    data: o.data,
    preset: start.preset,
    network: JSON.stringify(o.network ?? {}),
    steps: o.steps,
    batch: o.batch,
    seed: o.seed,
    optimizer: o.optimizer,
    learningRate: o.learningRate,
    schedule: JSON.stringify(scheduleOf(o)),
    translationSigmaVoxels: o.translationSigmaVoxels ?? 1,
    rotationSigmaBins: o.rotationSigmaBins ?? 1,
    weightDecay: o.weightDecay,
    augmentation: o.augmentation,
    replicas: o.replicas ?? 1,
    bounds: JSON.stringify(o.init === undefined ? (o.bounds ?? TABLETOP_BOUNDS) : start.spec.bounds),
    backend,
  };
}

async function probeBatch(index: Awaited<ReturnType<typeof buildSampleIndex>>, spec: AgentSpec, seed: number, size: number, fineJitterMetres: number): Promise<BatchArrays> {
  const plan = batchPlan(index, seed ^ 0x7e57, 0, Math.min(size, index.samples.length));
  return new BatchBuilder(index, spec, { enabled: false, fineJitterMetres }).build(plan.sampleIds, plan.augmentSeed);
}

/**
 * Accuracy on a batch: the exact voxel (and within one voxel), all three rotation bins, the
 * gripper and collision bits. On a coarse-to-fine batch the voxel and head figures are the fine
 * level's (its cube centred on the target plus the training offset) and `coarseNear` the coarse level's.
 */
export async function evaluateAccuracy(net: PeractNetwork, batch: BatchArrays, spec: AgentSpec): Promise<Accuracy> {
  const n = batch.translation.length;
  // The forward pass draws dropout seeds even when not training; measuring must not shift the
  // training run's dropout masks (a resumed run measures at other steps).
  const dropoutState = net.dropoutRng.state();
  const picked = tf.tidy(() => {
    const t = toTensors(batch, spec, n);
    const out = forward(net, t.input);
    return [tf.argMax(out.translation, 1), tf.argMax(out.rotation, 2), tf.argMax(out.gripper, 1), tf.argMax(out.collision, 1)];
  });
  const [trans, rot, grip, coll] = await Promise.all(picked.map((p) => p.data()));
  picked.forEach((p) => p.dispose());
  net.dropoutRng = Rng.fromState(dropoutState);
  const V = spec.gridSize;
  const near = (a: number, b: number): boolean =>
    Math.abs(Math.floor(a / (V * V)) - Math.floor(b / (V * V))) <= 1 &&
    Math.abs(Math.floor(a / V) % V - (Math.floor(b / V) % V)) <= 1 &&
    Math.abs((a % V) - (b % V)) <= 1;
  const last = net.config.levels - 1;
  const count = { items: 0, t: 0, tn: 0, r: 0, g: 0, c: 0, coarse: 0, coarseNear: 0 };
  for (let i = 0; i < n; i++) {
    if (batch.level[i] !== last) {
      count.coarse++;
      if (near(trans[i], batch.translation[i])) count.coarseNear++;
      continue;
    }
    count.items++;
    if (trans[i] === batch.translation[i]) count.t++;
    if (near(trans[i], batch.translation[i])) count.tn++;
    if (rot[i * 3] === batch.rotation[i * 3] && rot[i * 3 + 1] === batch.rotation[i * 3 + 1] && rot[i * 3 + 2] === batch.rotation[i * 3 + 2]) count.r++;
    if (grip[i] === batch.gripper[i]) count.g++;
    if (coll[i] === batch.collision[i]) count.c++;
  }
  const m = Math.max(1, count.items);
  return {
    translation: count.t / m,
    translationNear: count.tn / m,
    rotation: count.r / m,
    gripper: count.g / m,
    collision: count.c / m,
    ...(count.coarse > 0 ? { coarseNear: count.coarseNear / count.coarse } : {}),
  };
}
