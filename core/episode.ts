import { invalidArgument } from './errors.js';
import type { ActOptions, Policy, VoxelScore } from './policy-interface.js';
import type { Action, Env, Observation, ResetOptions, ResetResult, Vec3 } from './types.js';

/**
 * The one episode loop of the runtime: `peract eval`, `act` and `start` (through `rollout`) and
 * `peract run` (through `runOnRobot`) all run it, in the simulator or on a robot alike.
 *
 * Its rules, step by step until one ends the episode:
 * - The first observation comes from `reset` when given, else from the Env's own `observe()`.
 * - Before each step an aborted `signal` ends the episode ('aborted').
 * - The policy chooses an action from the latest observation; the Env executes it.
 * - `success` ends the episode ('success').
 * - A refused action (`refused`: nothing moved) ends it as a failure with its reason, as PerAct
 *   and RLBench do (`onRefusal: 'end'`), or, with `onRefusal: 'retry'`, the policy is asked again
 *   at the same observation, avoiding every position refused there (`avoidPositionsMetres`).
 *   A retry counts as a step.
 * - A move a contact stopped part way (`failureReason` set, not refused) goes on from where the
 *   arm stopped, unless the Env says `done`: then the episode fails with that reason.
 * - `done` without success or a reason ends it at the Env's own limit ('limit'), as does
 *   reaching `maxSteps`.
 * - With `dryRun`, actions are chosen and reported but never sent; the loop re-observes before
 *   each next step (someone may move things) and ends as 'dry-run' after `maxSteps`.
 */

export type EpisodeOutcome = 'success' | 'failure' | 'limit' | 'dry-run' | 'aborted';

/** What a refused action does: end the episode (PerAct's protocol) or retry another position. */
export type RefusalRule = 'end' | 'retry';

export interface EpisodeStep {
  /** 1-based agent step. */
  step: number;
  action: Action;
  topVoxels: VoxelScore[];
  /** False in a dry run. */
  sent: boolean;
  success: boolean;
  done: boolean;
  /** Why the step failed (a refusal or a move a contact stopped), when it did. */
  failureReason?: string;
  /** The Env refused the action (nothing moved). */
  refused?: boolean;
  /** Time the policy took to choose the action. */
  actMs: number;
  /** Time the Env took to execute it (0 in a dry run). */
  executeMs: number;
}

export interface EpisodeOptions {
  /** Agent steps at most. Default 25 (PerAct's episode length). */
  maxSteps?: number;
  /** See RefusalRule. Default 'end'. */
  onRefusal?: RefusalRule;
  /** Reset the Env first; without it the Env must have `observe()` (a real scene is as it is). */
  reset?: ResetOptions;
  /** Choose and report actions without sending them. Default false. Needs `observe()`. */
  dryRun?: boolean;
  /** Ends the episode before the next step when aborted. */
  signal?: AbortSignal;
  /** Called after every step with the observation the policy acted on. */
  onStep?: (step: EpisodeStep, observed: Observation) => void;
}

export interface EpisodeResult {
  goal: string;
  outcome: EpisodeOutcome;
  /** Why the episode failed, when it did. */
  failureReason?: string;
  steps: EpisodeStep[];
  /** The latest observation: after the last step, or the first one when no step ran. */
  finalObservation: Observation;
  /** The reset's result, when the episode began with a reset. */
  start?: ResetResult;
}

/** An Env that can also report the current observation without acting (SimEnv, RosEnv). */
export interface ObservableEnv extends Env {
  observe(): Promise<Observation> | Observation;
}

export function canObserve(env: Env): env is ObservableEnv {
  return typeof (env as Partial<ObservableEnv>).observe === 'function';
}

/**
 * Runs one episode of `policy` in `env` under the rules above. `goal` is the language goal, or a
 * function of the reset's result (then `reset` is required).
 */
export async function runEpisode(
  env: Env,
  policy: Policy,
  goal: string | ((start: ResetResult) => string),
  options: EpisodeOptions = {},
): Promise<EpisodeResult> {
  if (!env || typeof env.step !== 'function' || typeof env.reset !== 'function') throw invalidArgument('env', 'must be an Env');
  if (!policy || typeof policy.act !== 'function') throw invalidArgument('policy', 'must be a Policy');
  const maxSteps = options.maxSteps ?? 25;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw invalidArgument('maxSteps', `must be an integer >= 1, got ${maxSteps}`);
  const onRefusal = options.onRefusal ?? 'end';
  if (onRefusal !== 'end' && onRefusal !== 'retry') throw invalidArgument('onRefusal', `must be end or retry, got ${String(onRefusal)}`);
  const dryRun = options.dryRun ?? false;
  if (typeof goal === 'function' && !options.reset) throw invalidArgument('goal', 'a goal computed from the reset needs reset options');
  if (typeof goal !== 'function' && typeof goal !== 'string') throw invalidArgument('goal', 'must be a string or a function of the reset');
  if (!options.reset && !canObserve(env)) throw invalidArgument('options.reset', 'this Env has no observe(): pass reset options to get a first observation');
  if (dryRun && !canObserve(env)) throw invalidArgument('dryRun', 'a dry run re-observes each step: the Env needs observe()');

  const start = options.reset ? await env.reset(options.reset) : undefined;
  let observation = start ? start.observation : await (env as ObservableEnv).observe();
  const goalText = typeof goal === 'function' ? goal(start as ResetResult) : goal;
  if (typeof goalText !== 'string') throw invalidArgument('goal', `must give a string, got ${typeof goalText}`);

  const steps: EpisodeStep[] = [];
  let outcome: EpisodeOutcome = dryRun ? 'dry-run' : 'limit';
  let failureReason: string | undefined;
  let avoid: Vec3[] = [];
  for (let k = 1; k <= maxSteps; k++) {
    if (options.signal?.aborted) {
      outcome = 'aborted';
      break;
    }
    const actOptions: ActOptions | undefined = avoid.length > 0 ? { avoidPositionsMetres: avoid } : undefined;
    const t0 = performance.now();
    const out = await policy.act(observation, goalText, actOptions);
    const actMs = performance.now() - t0;
    if (dryRun) {
      const step: EpisodeStep = { step: k, action: out.action, topVoxels: out.topVoxels, sent: false, success: false, done: false, actMs, executeMs: 0 };
      steps.push(step);
      options.onStep?.(step, observation);
      if (k < maxSteps) observation = await (env as ObservableEnv).observe();
      continue;
    }
    const t1 = performance.now();
    const result = await env.step(out.action);
    const step: EpisodeStep = {
      step: k,
      action: out.action,
      topVoxels: out.topVoxels,
      sent: true,
      success: result.success,
      done: result.done,
      actMs,
      executeMs: performance.now() - t1,
      ...(result.failureReason ? { failureReason: result.failureReason } : {}),
      ...(result.refused ? { refused: true } : {}),
    };
    steps.push(step);
    options.onStep?.(step, observation);
    observation = result.observation;
    if (result.success) {
      outcome = 'success';
      break;
    }
    if (result.refused && onRefusal === 'retry' && !result.done) {
      avoid = [...avoid, out.action.positionMetres];
      continue;
    }
    avoid = [];
    if (result.refused || (result.failureReason && result.done)) {
      outcome = 'failure';
      failureReason = result.failureReason ?? 'the environment refused the action';
      break;
    }
    if (result.done) break;
  }
  return {
    goal: goalText,
    outcome,
    ...(failureReason ? { failureReason } : {}),
    steps,
    finalObservation: observation,
    ...(start ? { start } : {}),
  };
}
