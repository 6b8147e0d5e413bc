import { invalidArgument, type Env, type Policy, type ResetOptions } from '../../core/index.js';
import { runEpisode, type EpisodeOutcome, type EpisodeStep, type RefusalRule } from '../../core/episode.js';

/**
 * The engine of `peract run`: the agent acting on whatever robot an Env reaches, one keyframe
 * at a time, reporting each action. It is core's episode loop (`runEpisode`), the one
 * `peract eval` runs too, so a refusal, a move a contact stopped, success and the step limit
 * count the same on a robot as in evaluation. Unlike a simulated rollout there is no reset by
 * default (a real scene is as it is): the first observation comes from the Env's own
 * `observe()` when it has one (RosEnv does), or from `reset` when given. With `dryRun` the
 * actions are computed and reported but never sent; the loop then re-observes each step
 * (someone may move things).
 */

export interface RunOnRobotOptions {
  /** Compute and report actions without sending them. Default false. */
  dryRun?: boolean;
  /** Agent steps at most. Default 25 (PerAct's episode length). */
  maxSteps?: number;
  /** Reset first (simulator or a robot with a reset service). */
  reset?: ResetOptions;
  /**
   * A refused action (the robot says nothing moved): 'end' the episode as a failure (default,
   * PerAct's protocol) or 'retry' the policy's next-best position away from the refused ones.
   */
  onRefusal?: RefusalRule;
  onStep?: (step: RobotStep) => void;
  /** Stops the loop before the next step when aborted (Ctrl-C). */
  signal?: AbortSignal;
}

/** One agent step on the robot: the episode loop's step (core/episode.ts). */
export type RobotStep = EpisodeStep;

export interface RobotRunResult {
  goal: string;
  steps: RobotStep[];
  outcome: EpisodeOutcome;
  failureReason?: string;
}

export async function runOnRobot(env: Env, policy: Policy, goal: string, options: RunOnRobotOptions = {}): Promise<RobotRunResult> {
  if (typeof goal !== 'string' || goal.trim() === '') throw invalidArgument('goal', 'must be a non-empty string');
  const steps: RobotStep[] = [];
  const episode = await runEpisode(env, policy, goal, {
    dryRun: options.dryRun,
    maxSteps: options.maxSteps,
    reset: options.reset,
    onRefusal: options.onRefusal,
    signal: options.signal,
    onStep: (s) => {
      const step: RobotStep = { ...s };
      steps.push(step);
      options.onStep?.(step);
    },
  });
  return { goal, steps, outcome: episode.outcome, ...(episode.failureReason ? { failureReason: episode.failureReason } : {}) };
}

/** One line per step for the terminal: what the agent chose and what happened. */
export function formatRobotStep(s: RobotStep): string {
  const p = s.action.positionMetres.map((v) => v.toFixed(3)).join(', ');
  const q = s.action.quaternion.map((v) => v.toFixed(3)).join(', ');
  const reason = s.failureReason ?? 'no reason given';
  const happened = s.refused
    ? `refused (nothing moved): ${reason}`
    : s.success
      ? 'task done'
      : s.failureReason
        ? s.done
          ? `failed: ${reason}`
          : `stopped short, going on: ${reason}`
        : 'ok';
  const tail = !s.sent ? 'not sent (dry run)' : happened;
  return `step ${s.step}: move to [${p}] quat [${q}] gripper ${s.action.gripperOpen ? 'open' : 'closed'}${s.action.ignoreCollisions ? ', ignoring collisions' : ''} (agent ${s.actMs.toFixed(0)} ms${s.sent ? `, robot ${s.executeMs.toFixed(0)} ms` : ''}): ${tail}`;
}
