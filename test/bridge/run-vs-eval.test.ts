import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollout, type RolloutResult } from '../../agent/evaluation/rollout.js';
import type { Action, Policy, PolicyOutput, Vec3 } from '../../core/index.js';
import { RosEnv, runOnRobot, startSimBridge, type RobotRunResult, type SimBridge } from '../../bridge/index.js';
import { SimEnv } from '../../sim/index.js';

/**
 * `peract run` over the simulator's bridge and `peract eval` in-process run one episode loop:
 * the same deterministic policy on the same task and seed ends the same way, after the same
 * steps, with the same reason at every step: a success, a move the table stopped (the episode
 * goes on), a refusal (the episode ends, or the policy retries), the step limit.
 */

type Perturbation = 'none' | 'table-first' | 'unreachable-first' | 'lowered';

interface Case {
  task: string;
  seed: number;
  perturbation: Perturbation;
  onRefusal?: 'end' | 'retry';
  maxSteps: number;
  /** How the episode ends in both loops. */
  expected: RolloutResult['outcome'];
}

const CASES: Case[] = [
  { task: 'pick_and_lift', seed: 21, perturbation: 'none', maxSteps: 6, expected: 'success' },
  { task: 'pick_and_lift', seed: 22, perturbation: 'table-first', maxSteps: 6, expected: 'success' },
  { task: 'pick_and_lift', seed: 23, perturbation: 'lowered', maxSteps: 4, expected: 'limit' },
  { task: 'reach_target', seed: 31, perturbation: 'unreachable-first', maxSteps: 6, expected: 'failure' },
  { task: 'reach_target', seed: 32, perturbation: 'unreachable-first', onRefusal: 'retry', maxSteps: 6, expected: 'success' },
  { task: 'reach_target', seed: 33, perturbation: 'lowered', maxSteps: 3, expected: 'limit' },
];

/** The expert's actions for this episode, perturbed; a policy replays them one per call. */
function perturbed(expert: Action[], how: Perturbation): Action[] {
  const first = expert[0];
  const at = (p: Vec3, ignoreCollisions: boolean): Action => ({ ...first, positionMetres: p, ignoreCollisions });
  switch (how) {
    case 'none':
      return expert;
    case 'table-first':
      // Straight down into the table: a contact stops the move part way.
      return [at([0.5, 0, -0.1], true), ...expert];
    case 'unreachable-first':
      return [at([2, 2, 1], false), ...expert];
    case 'lowered':
      // Every pose 15 cm lower, ignoring collisions: the table stops the hand short.
      return expert.map((a) => ({ ...a, positionMetres: [a.positionMetres[0], a.positionMetres[1], a.positionMetres[2] - 0.15], ignoreCollisions: true }));
  }
}

/** Replays `actions` in order (the last one after that): deterministic, whatever it observes. */
function replay(actions: Action[]): Policy {
  let calls = 0;
  return {
    async act(): Promise<PolicyOutput> {
      const action = actions[Math.min(calls++, actions.length - 1)];
      return { action, topVoxels: [{ positionMetres: action.positionMetres, score: 1 }] };
    },
  };
}

function summary(r: RolloutResult | RobotRunResult) {
  return {
    outcome: r.outcome,
    failureReason: r.failureReason,
    steps: r.steps.map((s) => ({ success: s.success, done: s.done, refused: s.refused ?? false, failureReason: s.failureReason })),
  };
}

let bridge: SimBridge;
let local: SimEnv;
let robot: RosEnv;

beforeAll(async () => {
  bridge = await startSimBridge({ port: 0, task: 'reach_target', seed: 0, rateHz: 20, viewer: false });
  local = new SimEnv();
  robot = await RosEnv.connect({ url: bridge.url });
});

afterAll(async () => {
  await robot?.close();
  await local?.close();
  await bridge?.close();
});

describe('peract run over the bridge and peract eval', () => {
  it('end every episode the same way, step for step', async () => {
    let refusals = 0;
    let contactStops = 0;
    for (const c of CASES) {
      const name = `${c.task} seed ${c.seed} (${c.perturbation}${c.onRefusal ? `, ${c.onRefusal}` : ''})`;
      await local.reset({ task: c.task, seed: c.seed });
      const actions = perturbed(local.expert().map((s) => s.action), c.perturbation);

      const evaluated = await rollout(local, replay(actions), { task: c.task, seed: c.seed }, { maxSteps: c.maxSteps, onRefusal: c.onRefusal });
      // As `peract run` does: the scene is set up (here by the robot's reset service), then the
      // loop starts from what the robot observes.
      const { goal } = await robot.reset({ task: c.task, seed: c.seed });
      expect(goal, name).toBe(evaluated.goal);
      const ran = await runOnRobot(robot, replay(actions), goal, { maxSteps: c.maxSteps, onRefusal: c.onRefusal });

      expect(ran.steps.every((s) => s.sent), name).toBe(true);
      expect(summary(ran), name).toEqual(summary(evaluated));
      expect(evaluated.outcome, name).toBe(c.expected);
      refusals += evaluated.steps.filter((s) => s.refused).length;
      contactStops += evaluated.steps.filter((s) => s.failureReason && !s.refused).length;
    }
    // The cases include both kinds of failed step: a refusal and a move a contact stopped.
    expect(refusals).toBeGreaterThan(0);
    expect(contactStops).toBeGreaterThan(0);
  }, 60_000);
});
