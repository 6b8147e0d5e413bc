import type { Action, CameraFrame, Env, Policy, ResetOptions, ResetResult, VoxelScore } from '../../core/index.js';
import { runEpisode, type RefusalRule } from '../../core/episode.js';

export interface RolloutStep {
  /** 1-based agent step. */
  step: number;
  action: Action;
  topVoxels: VoxelScore[];
  success: boolean;
  done: boolean;
  failureReason?: string;
  /** The environment refused the action (nothing moved). */
  refused?: boolean;
  /** Time the policy took to choose the action. */
  actMs: number;
  /** The camera the step's picture is drawn from, as seen before acting (when kept). */
  frame?: CameraFrame;
}

export type RolloutOutcome = 'success' | 'failure' | 'limit';

export interface RolloutResult {
  task: string;
  variation: number;
  seed: number;
  goal: string;
  outcome: RolloutOutcome;
  success: boolean;
  /** Why the episode failed early (a planner failure), when it did. */
  failureReason?: string;
  steps: RolloutStep[];
  /** The same camera after the last step (when frames are kept). */
  finalFrame?: CameraFrame;
}

export interface RolloutOptions {
  /** Agent actions before the episode counts as failed. Default 25 (PerAct). */
  maxSteps?: number;
  /**
   * Replace the environment's goal text: a user-typed goal, or a function of the reset's result
   * (a paraphrase filled with what the episode's goal names).
   */
  goal?: string | ((start: ResetResult) => string);
  /** Keep this camera's frame at every step for pictures (e.g. 'front'). */
  keepCamera?: string;
  onStep?: (step: RolloutStep) => void;
  /**
   * What a refused action (no motion plan reaches it; nothing moved) does: 'end' the episode as
   * a failure (default; RLBench and PerAct's evaluation), or 'retry': ask the policy again at the
   * same observation, avoiding the refused positions. A retry counts as an action.
   */
  onRefusal?: RefusalRule;
}

/**
 * Runs a policy in any Env, keyframe by keyframe, from a reset: core's episode loop
 * (`runEpisode`, whose rules `peract run` shares) plus what evaluation keeps: the task, seed
 * and variation, and a camera's frame at every step for pictures.
 */
export async function rollout(env: Env, policy: Policy, reset: ResetOptions, options: RolloutOptions = {}): Promise<RolloutResult> {
  const pick = (cams: CameraFrame[]): CameraFrame | undefined => (options.keepCamera ? cams.find((c) => c.name === options.keepCamera) : undefined);
  const steps: RolloutStep[] = [];
  const episode = await runEpisode(env, policy, (start) => (typeof options.goal === 'function' ? options.goal(start) : (options.goal ?? start.goal)), {
    reset,
    maxSteps: options.maxSteps,
    onRefusal: options.onRefusal,
    onStep: (s, observed) => {
      const frame = pick(observed.cameras);
      const step: RolloutStep = {
        step: s.step,
        action: s.action,
        topVoxels: s.topVoxels,
        success: s.success,
        done: s.done,
        actMs: s.actMs,
        ...(s.failureReason ? { failureReason: s.failureReason } : {}),
        ...(s.refused ? { refused: true } : {}),
        ...(frame ? { frame } : {}),
      };
      steps.push(step);
      options.onStep?.(step);
    },
  });
  // Neither a dry run nor an abort is asked for here: the outcome is one of a rollout's.
  const outcome: RolloutOutcome = episode.outcome === 'success' || episode.outcome === 'failure' ? episode.outcome : 'limit';
  const finalFrame = pick(episode.finalObservation.cameras);
  return {
    task: reset.task,
    variation: episode.start?.variation ?? reset.variation ?? 0,
    seed: reset.seed ?? 0,
    goal: episode.goal,
    outcome,
    success: outcome === 'success',
    ...(episode.failureReason ? { failureReason: episode.failureReason } : {}),
    steps,
    ...(finalFrame ? { finalFrame } : {}),
  };
}
