import { assertPositiveInteger, EPISODE_SEED_BLOCK, episodeSeed, invalidArgument, PeractError, Rng, type CameraFrame } from '../core/index.js';
import { discoverKeyframes, openDatasetWriter, recordedFrames, type EpisodeRecord } from '../dataset/index.js';
import { SimEnv } from './sim-env.js';
import { getTask, type TaskDefinition } from './tasks/index.js';

/**
 * Demonstrations: the scripted expert run in the simulator, cut into PerAct keyframes and
 * written as a dataset (dataset/).
 *
 * Seed rule (core's `episodeSeed`, shared with evaluation). `--seed S` owns the block of episode
 * seeds [S * 100000, (S + 1) * 100000), the same block for every task. Within a task the block is walked in order: each seed either yields an
 * episode (the expert succeeded) or is an expert failure and is passed over, so episode k uses
 * the k-th seed of the block on which the expert succeeds (S * 100000 + k when nothing failed).
 * Different `S` never share a seed, and every manifest entry carries its seed, so an evaluation
 * can tell exactly which seeds a dataset used. The walk is deterministic, so a rerun meets the
 * same seeds again: finished ones are skipped (resume), missing ones are redone.
 */

/** Episode seeds owned by one `--seed` value (core's `EPISODE_SEED_BLOCK`, shared with evaluation). */
export const DEMO_SEED_BLOCK = EPISODE_SEED_BLOCK;
/** The largest `--seed` whose whole block fits the 32-bit seeds `Rng` takes. */
export const MAX_DEMO_SEED = Math.floor(2 ** 32 / DEMO_SEED_BLOCK) - 1;

/** The first episode seed of the block that `--seed seed` selects. */
export function demoSeedBlockStart(seed: number): number {
  assertPositiveInteger(seed, 'seed', 0);
  // Also the last seed of the block must fit, or a long run would wrap around to block 0.
  if (seed > MAX_DEMO_SEED) throw invalidArgument('seed', `must be at most ${MAX_DEMO_SEED} (episode seeds are 32-bit), got ${seed}`);
  return episodeSeed(seed, 0);
}

export interface RecordDemoOptions {
  /** Goal variation; drawn from the seed (as `SimEnv.reset` does) when absent. */
  variation?: number;
}

export interface RecordedDemo extends ExpertRun {
  record: EpisodeRecord;
}

/**
 * Runs the scripted expert on one episode and returns it as an `EpisodeRecord`. `env` must have
 * been created with `{ record: true }`. Keyframes come from PerAct's rule over every control
 * frame; only frame 0, the keyframes and every 10th frame are rendered. The record is returned
 * also when the expert failed (`success: false`), so callers can inspect it.
 */
export async function recordDemo(env: SimEnv, task: string, seed: number, options: RecordDemoOptions = {}): Promise<RecordedDemo> {
  if (!(env instanceof SimEnv)) throw invalidArgument('env', 'must be a SimEnv');
  const definition = getTask(task);
  assertPositiveInteger(seed, 'seed', 0);
  const reset = await env.reset({ task, seed, ...(options.variation === undefined ? {} : { variation: options.variation }) });
  if (env.recordedFrames.length === 0) throw invalidArgument('env', 'must be created with new SimEnv({ record: true })');

  const { success, failureReason, expertSteps } = await runExpert(env);

  const goals = goalPhrasings(definition, seed, reset.variation, reset.goal);
  const frames = env.recordedFrames.map((f) => f.lowDim);
  const keyframes = discoverKeyframes(frames);
  if (keyframes.length === 0) {
    // Only a one-frame episode (the expert did nothing) has none; it cannot be a training example.
    const record: EpisodeRecord = { task, variation: reset.variation, seed, goals, frames, keyframes, images: new Map() };
    return { record, success: false, failureReason: failureReason ?? 'no keyframes', expertSteps };
  }
  const images = new Map<number, CameraFrame[]>();
  for (const frame of recordedFrames(keyframes, frames.length)) images.set(frame, env.renderRecorded(frame));
  const record: EpisodeRecord = { task, variation: reset.variation, seed, goals, frames, keyframes, images };
  return { record, success, ...(failureReason ? { failureReason } : {}), expertSteps };
}

export interface ExpertRun {
  /** Whether the task's success check held when the expert finished. */
  success: boolean;
  /** Why the episode failed: the environment's reason, or that the expert ran out of steps. */
  failureReason?: string;
  /** Expert steps executed (fewer than planned when the episode ended early). */
  expertSteps: number;
}

/**
 * Steps the scripted expert of the episode `env` was just reset to, stopping when a step ends
 * the episode (success, a planner or execution failure, or the step limit). Demos and the
 * expert-success benchmark share it, so the benchmark measures exactly what demos keep.
 */
export async function runExpert(env: SimEnv): Promise<ExpertRun> {
  let expertSteps = 0;
  let failureReason: string | undefined;
  let done = false;
  for (const step of env.expert()) {
    const result = await env.step(step.action);
    expertSteps++;
    if (result.failureReason) failureReason = `${step.label}: ${result.failureReason}`;
    // A refused or contact-stopped expert step would leave the script out of step with the
    // scene: stop there too.
    if (result.done || result.failureReason) {
      done = true;
      break;
    }
  }
  const success = env.isSuccess();
  if (!success && !failureReason) {
    failureReason = done ? `the episode ended after ${expertSteps} steps without success` : 'the expert finished without success';
  }
  return { success, ...(failureReason ? { failureReason } : {}), expertSteps };
}

/**
 * Every phrasing of the episode's goal, the one the reset drew first. SimEnv keeps its task
 * instance private, so the instance is rebuilt here the way `SimEnv.reset` builds it: the
 * episode's variation and a fresh `Rng(seed)`. Building is cheap (no physics).
 */
function goalPhrasings(task: TaskDefinition, seed: number, variation: number, resetGoal: string): string[] {
  const goals = task.build(variation, new Rng(seed)).goals;
  if (!goals.includes(resetGoal)) {
    throw new PeractError('INTERNAL', `rebuilt goals of ${task.name} seed ${seed} do not contain the reset's goal "${resetGoal}": SimEnv.reset builds differently now`);
  }
  return [resetGoal, ...goals.filter((g) => g !== resetGoal)];
}

/** One finished, skipped or failed episode, reported as it happens. */
export interface DemoProgress {
  task: string;
  seed: number;
  status: 'written' | 'skipped' | 'expert-failure';
  /** Episodes written or skipped so far over all tasks. */
  done: number;
  /** Episodes asked for over all tasks. */
  total: number;
  /** Time this episode took (0 for skipped ones). */
  seconds: number;
  failureReason?: string;
}

export interface GenerateDemosOptions {
  /** Dataset folder; created (with an empty manifest) when missing. */
  dir: string;
  /** Task names, in the order they are generated. */
  tasks: readonly string[];
  /** Episodes per task. */
  episodes: number;
  /** Selects the block of episode seeds (see the seed rule at the top of this file). Default 0. */
  seed?: number;
  /** Expert failures allowed per task before it gives up on the missing episodes. Default max(5, 10 % of episodes). */
  maxExpertFailures?: number;
  onProgress?: (event: DemoProgress) => void;
}

export interface TaskDemoSummary {
  task: string;
  written: number;
  skipped: number;
  expertFailures: number;
  /** Episodes that could not be produced (the task gave up). */
  missing: number;
  seconds: number;
  /** The seeds of the task's episodes in this dataset selection, in episode order. */
  seeds: number[];
  failures: { seed: number; reason: string }[];
}

export interface DemoSummary {
  dir: string;
  seed: number;
  episodes: number;
  tasks: TaskDemoSummary[];
  written: number;
  skipped: number;
  expertFailures: number;
  missing: number;
  seconds: number;
}

/**
 * Generates `episodes` demonstrations of each task into `dir`, resuming: episodes the manifest
 * already lists are skipped. An expert failure moves on to the next seed of the block and is
 * counted; after `maxExpertFailures` failures in one task the rest of it is reported missing.
 * Runs on one core, one episode at a time.
 */
export async function generateDemos(options: GenerateDemosOptions): Promise<DemoSummary> {
  if (!options || typeof options !== 'object') throw invalidArgument('options', 'must be { dir, tasks, episodes, seed? }');
  const { dir, tasks, episodes } = options;
  if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('dir', 'must be a non-empty path');
  if (!Array.isArray(tasks) || tasks.length === 0) throw invalidArgument('tasks', 'must be a non-empty array of task names');
  tasks.forEach((t) => getTask(t));
  if (new Set(tasks).size !== tasks.length) throw invalidArgument('tasks', 'must not name a task twice');
  assertPositiveInteger(episodes, 'episodes');
  if (episodes > DEMO_SEED_BLOCK) throw invalidArgument('episodes', `must be at most ${DEMO_SEED_BLOCK} (one seed block), got ${episodes}`);
  const seed = options.seed ?? 0;
  demoSeedBlockStart(seed);
  const maxFailures = options.maxExpertFailures ?? Math.max(5, Math.ceil(episodes * 0.1));
  assertPositiveInteger(maxFailures, 'maxExpertFailures', 0);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalidArgument('onProgress', 'must be a function');

  const started = performance.now();
  const writer = await openDatasetWriter(dir, { create: true });
  const env = new SimEnv({ record: true });
  const total = tasks.length * episodes;
  let done = 0;
  const summaries: TaskDemoSummary[] = [];
  try {
    for (const task of tasks) {
      const taskStarted = performance.now();
      const summary: TaskDemoSummary = { task, written: 0, skipped: 0, expertFailures: 0, missing: 0, seconds: 0, seeds: [], failures: [] };
      const report = (event: Omit<DemoProgress, 'task' | 'done' | 'total'>): void => options.onProgress?.({ task, done, total, ...event });
      for (let offset = 0; summary.seeds.length < episodes && offset < DEMO_SEED_BLOCK; offset++) {
        const candidate = episodeSeed(seed, offset);
        if (writer.hasEpisode(task, candidate)) {
          summary.skipped++;
          summary.seeds.push(candidate);
          done++;
          report({ seed: candidate, status: 'skipped', seconds: 0 });
          continue;
        }
        if (summary.expertFailures >= maxFailures) break;
        const t0 = performance.now();
        const demo = await recordDemo(env, task, candidate).catch((error: unknown) => {
          // Our own contract violations are bugs that would hit every seed: stop. Anything else
          // thrown inside one episode (a physics or planner crash) costs that seed, not the run.
          if (error instanceof PeractError && (error.code === 'INTERNAL' || error.code === 'INVALID_ARGUMENT')) throw error;
          const reason = error instanceof Error ? error.message : String(error);
          return { record: undefined, success: false, failureReason: `error: ${reason}`, expertSteps: 0 };
        });
        if (!demo.success || !demo.record) {
          const reason = demo.failureReason ?? 'unknown';
          summary.expertFailures++;
          summary.failures.push({ seed: candidate, reason });
          report({ seed: candidate, status: 'expert-failure', seconds: (performance.now() - t0) / 1000, failureReason: reason });
          continue;
        }
        await writer.writeEpisode(demo.record);
        summary.written++;
        summary.seeds.push(candidate);
        done++;
        report({ seed: candidate, status: 'written', seconds: (performance.now() - t0) / 1000 });
      }
      summary.missing = episodes - summary.seeds.length;
      summary.seconds = (performance.now() - taskStarted) / 1000;
      summaries.push(summary);
    }
  } finally {
    await env.close();
  }
  const sum = (key: 'written' | 'skipped' | 'expertFailures' | 'missing'): number => summaries.reduce((s, t) => s + t[key], 0);
  return {
    dir,
    seed,
    episodes,
    tasks: summaries,
    written: sum('written'),
    skipped: sum('skipped'),
    expertFailures: sum('expertFailures'),
    missing: sum('missing'),
    seconds: (performance.now() - started) / 1000,
  };
}
