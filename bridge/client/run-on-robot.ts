import { invalidArgument, type Action, type Env, type Observation, type Policy, type ResetOptions, type VoxelScore } from '../../core/index.js';

/**
 * The engine of `peract run`: the agent acting on whatever robot an Env reaches, one keyframe
 * at a time, reporting each action. Unlike a simulated rollout there is no reset by default
 * (a real scene is as it is): the first observation comes from the Env's own `observe()` when
 * it has one (RosEnv does), or from `reset` when given. With `dryRun` the actions are computed
 * and reported but never sent; the loop then re-observes each step (someone may move things).
 */

export interface RunOnRobotOptions {
  /** Compute and report actions without sending them. Default false. */
  dryRun?: boolean;
  /** Agent steps at most. Default 25 (PerAct's episode length). */
  maxSteps?: number;
  /** Reset first (simulator or a robot with a reset service). */
  reset?: ResetOptions;
  onStep?: (step: RobotStep) => void;
  /** Stops the loop before the next step when aborted (Ctrl-C). */
  signal?: AbortSignal;
}

export interface RobotStep {
  /** 1-based. */
  step: number;
  action: Action;
  topVoxels: VoxelScore[];
  /** False in a dry run. */
  sent: boolean;
  success: boolean;
  done: boolean;
  failureReason?: string;
  actMs: number;
  /** Time the robot took to execute (0 in a dry run). */
  executeMs: number;
}

export interface RobotRunResult {
  goal: string;
  steps: RobotStep[];
  outcome: 'success' | 'failure' | 'limit' | 'dry-run' | 'aborted';
  failureReason?: string;
}

interface Observable {
  observe(): Promise<Observation> | Observation;
}

function canObserve(env: Env): env is Env & Observable {
  return typeof (env as Partial<Observable>).observe === 'function';
}

export async function runOnRobot(env: Env, policy: Policy, goal: string, options: RunOnRobotOptions = {}): Promise<RobotRunResult> {
  if (!env || typeof env.step !== 'function') throw invalidArgument('env', 'must be an Env');
  if (!policy || typeof policy.act !== 'function') throw invalidArgument('policy', 'must be a Policy');
  if (typeof goal !== 'string' || goal.trim() === '') throw invalidArgument('goal', 'must be a non-empty string');
  const maxSteps = options.maxSteps ?? 25;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw invalidArgument('maxSteps', `must be an integer >= 1, got ${maxSteps}`);
  const dryRun = options.dryRun ?? false;
  const observeNow = async (): Promise<Observation> => {
    if (canObserve(env)) return env.observe();
    throw invalidArgument('options.reset', 'this Env has no observe(): pass reset options to get a first observation');
  };
  let observation = options.reset ? (await env.reset(options.reset)).observation : await observeNow();
  const steps: RobotStep[] = [];
  let outcome: RobotRunResult['outcome'] = dryRun ? 'dry-run' : 'limit';
  let failureReason: string | undefined;
  for (let k = 1; k <= maxSteps; k++) {
    if (options.signal?.aborted) {
      outcome = 'aborted';
      break;
    }
    const t0 = performance.now();
    const out = await policy.act(observation, goal);
    const actMs = performance.now() - t0;
    if (dryRun) {
      const step: RobotStep = { step: k, action: out.action, topVoxels: out.topVoxels, sent: false, success: false, done: false, actMs, executeMs: 0 };
      steps.push(step);
      options.onStep?.(step);
      if (k < maxSteps) observation = await observeNow();
      continue;
    }
    const t1 = performance.now();
    const r = await env.step(out.action);
    const step: RobotStep = {
      step: k,
      action: out.action,
      topVoxels: out.topVoxels,
      sent: true,
      success: r.success,
      done: r.done,
      actMs,
      executeMs: performance.now() - t1,
      ...(r.failureReason ? { failureReason: r.failureReason } : {}),
    };
    steps.push(step);
    options.onStep?.(step);
    observation = r.observation;
    if (r.success) {
      outcome = 'success';
      break;
    }
    if (r.failureReason) {
      outcome = 'failure';
      failureReason = r.failureReason;
      break;
    }
    if (r.done) break;
  }
  return { goal, steps, outcome, ...(failureReason ? { failureReason } : {}) };
}

/** One line per step for the terminal: what the agent chose and what happened. */
export function formatRobotStep(s: RobotStep): string {
  const p = s.action.positionMetres.map((v) => v.toFixed(3)).join(', ');
  const q = s.action.quaternion.map((v) => v.toFixed(3)).join(', ');
  const tail = !s.sent ? 'not sent (dry run)' : s.failureReason ? `failed: ${s.failureReason}` : s.success ? 'task done' : 'ok';
  return `step ${s.step}: move to [${p}] quat [${q}] gripper ${s.action.gripperOpen ? 'open' : 'closed'}${s.action.ignoreCollisions ? ', ignoring collisions' : ''} (agent ${s.actMs.toFixed(0)} ms${s.sent ? `, robot ${s.executeMs.toFixed(0)} ms` : ''}): ${tail}`;
}
