import {
  invalidArgument,
  type Action,
  type CameraFrame,
  type Env,
  type Policy,
  type ResetOptions,
  type ResetResult,
  type Vec3,
  type VoxelScore,
} from '../../core/index.js';

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
  onRefusal?: 'end' | 'retry';
}

/**
 * Runs a policy in any Env, keyframe by keyframe: observe, act, until success, a failure that
 * ends the episode (a planner failure, reported with its reason) or the step limit.
 */
export async function rollout(env: Env, policy: Policy, reset: ResetOptions, options: RolloutOptions = {}): Promise<RolloutResult> {
  const maxSteps = options.maxSteps ?? 25;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw invalidArgument('maxSteps', `must be an integer >= 1, got ${maxSteps}`);
  const onRefusal = options.onRefusal ?? 'end';
  if (onRefusal !== 'end' && onRefusal !== 'retry') throw invalidArgument('onRefusal', `must be end or retry, got ${String(onRefusal)}`);
  let avoid: Vec3[] = [];
  const start = await env.reset(reset);
  const goal = typeof options.goal === 'function' ? options.goal(start) : (options.goal ?? start.goal);
  let observation = start.observation;
  const steps: RolloutStep[] = [];
  const pick = (cams: CameraFrame[]): CameraFrame | undefined => (options.keepCamera ? cams.find((c) => c.name === options.keepCamera) : undefined);
  let outcome: RolloutOutcome = 'limit';
  let failureReason: string | undefined;
  for (let k = 1; k <= maxSteps; k++) {
    const t0 = performance.now();
    const out = await policy.act(observation, goal, avoid.length > 0 ? { avoidPositionsMetres: avoid } : undefined);
    const actMs = performance.now() - t0;
    const frame = pick(observation.cameras);
    const result = await env.step(out.action);
    const step: RolloutStep = {
      step: k,
      action: out.action,
      topVoxels: out.topVoxels,
      success: result.success,
      done: result.done,
      actMs,
      ...(result.failureReason ? { failureReason: result.failureReason } : {}),
      ...(result.refused ? { refused: true } : {}),
      ...(frame ? { frame } : {}),
    };
    steps.push(step);
    options.onStep?.(step);
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
    // A refusal ends the episode (PerAct's protocol), as does a failure the environment calls
    // final; a move a contact stopped part way goes on from where the arm is.
    if (result.failureReason && (result.refused || result.done)) {
      outcome = 'failure';
      failureReason = result.failureReason;
      break;
    }
    if (result.done) break;
  }
  const finalFrame = pick(observation.cameras);
  return {
    task: reset.task,
    variation: start.variation,
    seed: reset.seed ?? 0,
    goal,
    outcome,
    success: outcome === 'success',
    ...(failureReason ? { failureReason } : {}),
    steps,
    ...(finalFrame ? { finalFrame } : {}),
  };
}
