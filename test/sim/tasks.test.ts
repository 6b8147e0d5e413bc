import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quaternion, Vector3 } from 'three';
import { Rng, type Pose, type StepResult, type Vec3 } from '../../core/index.js';
import { tokenizeWords, WORD_OFFSET, WORDS_V1 } from '../../perception/index.js';
import { RLBENCH_COLOURS, SimEnv, TASK_NAMES, getTask, type ExpertStep } from '../../sim/index.js';
// The experts' own grasp conventions, so a retargeted grasp is as good as the true one.
import { topDownQuat } from '../../sim/tasks/builders.js';
import { yawOf } from '../../sim/tasks/common.js';

let env: SimEnv;

beforeAll(() => {
  env = new SimEnv();
});

afterAll(async () => {
  await env.close();
});

/** Runs the waypoints through SimEnv.step, stopping when the episode ends; returns every result. */
async function run(steps: ExpertStep[]): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const s of steps) {
    const r = await env.step(s.action);
    results.push(r);
    if (r.done) break;
  }
  return results;
}

/** Runs a wrong expert to its end: every step must execute (no planner or execution failure). */
async function runWrong(steps: ExpertStep[]): Promise<StepResult> {
  const results = await run(steps);
  expect(results.map((r) => r.failureReason ?? 'ok')).toEqual(steps.map(() => 'ok'));
  expect(results).toHaveLength(steps.length);
  const last = results[results.length - 1];
  expect(last.success).toBe(false);
  expect(last.done).toBe(false);
  return last;
}

function position(name: string): Vec3 {
  return env.physics.bodyPose(name).positionMetres;
}

function withAction(s: ExpertStep, change: Partial<ExpertStep['action']>): ExpertStep {
  return { label: `${s.label} (edited)`, action: { ...s.action, ...change } };
}

/** The same waypoints moved by `offset` (orientations kept). */
function translated(steps: ExpertStep[], offset: Vec3): ExpertStep[] {
  return steps.map((s) => {
    const p = s.action.positionMetres;
    return withAction(s, { positionMetres: [p[0] + offset[0], p[1] + offset[1], p[2] + offset[2]] });
  });
}

/** The waypoints turned by `yawRad` about the vertical through `pivot` (orientations turned too unless `keepOrientation`). */
function turned(steps: ExpertStep[], pivot: Vec3, yawRad: number, keepOrientation = false): ExpertStep[] {
  const turn = new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), yawRad);
  const axisPoint = new Vector3(...pivot);
  return steps.map((s) => {
    const p = new Vector3(...s.action.positionMetres).sub(axisPoint).applyQuaternion(turn).add(axisPoint);
    const q = turn.clone().multiply(new Quaternion(...s.action.quaternion));
    return withAction(s, {
      positionMetres: [p.x, p.y, p.z],
      ...(keepOrientation ? {} : { quaternion: [q.x, q.y, q.z, q.w] as Pose['quaternion'] }),
    });
  });
}

/** The same waypoints over another xy (heights and flags kept), with an optional new orientation. */
function overXy(steps: ExpertStep[], xy: Vec3, quaternion?: Pose['quaternion']): ExpertStep[] {
  return steps.map((s) => withAction(s, { positionMetres: [xy[0], xy[1], s.action.positionMetres[2]], ...(quaternion ? { quaternion } : {}) }));
}

function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

function distanceXy(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

// [task, seed, variation]: seeds and variations spread so colours, button/block counts, drawers and sides all appear.
const EXPERT_CASES: [string, number, number][] = [
  ['reach_target', 0, 2],
  ['reach_target', 1, 17],
  ['pick_and_lift', 0, 5],
  ['pick_and_lift', 1, 12],
  ['push_buttons', 0, 7],
  ['push_buttons', 1, 24],
  ['push_buttons', 2, 45],
  ['slide_block_to_color_target', 0, 0],
  ['slide_block_to_color_target', 1, 11],
  ['open_drawer', 0, 0],
  ['open_drawer', 1, 1],
  ['open_drawer', 2, 2],
  ['put_item_in_drawer', 0, 0],
  ['put_item_in_drawer', 1, 1],
  ['put_item_in_drawer', 2, 2],
  ['stack_blocks', 0, 4],
  ['stack_blocks', 1, 29],
  ['stack_blocks', 2, 46],
  ['put_block_in_bowl', 0, 9],
  ['put_block_in_bowl', 1, 18],
  ['close_jar', 0, 1],
  ['close_jar', 1, 14],
  ['turn_tap', 0, 0],
  ['turn_tap', 1, 1],
];

describe('scripted experts', () => {
  it('cover every task', () => {
    expect(new Set(EXPERT_CASES.map((c) => c[0]))).toEqual(new Set(TASK_NAMES));
  });

  it.each(EXPERT_CASES)('%s seed %i variation %i: not solved at reset, solved by the expert', async (task, seed, variation) => {
    const reset = await env.reset({ task, seed, variation });
    expect(reset.variation).toBe(variation);
    expect(env.isSuccess()).toBe(false);
    const steps = env.expert();
    expect(steps.length).toBeGreaterThan(0);
    const results = await run(steps);
    const last = results[results.length - 1];
    expect(results.map((r) => r.failureReason ?? 'ok')).toEqual(results.map(() => 'ok'));
    expect(last.success).toBe(true);
    expect(last.done).toBe(true);
    expect(env.isSuccess()).toBe(true);
    // Success ends the episode at once, so no earlier step may have reported it.
    expect(results.slice(0, -1).every((r) => !r.success && !r.done)).toBe(true);
  });
});

describe('success checks reject a wrong outcome', () => {
  it('reach_target: reaching a distractor sphere', async () => {
    await env.reset({ task: 'reach_target', seed: 3, variation: 6 });
    const [reach] = env.expert();
    const wrong = position('distractor1');
    await runWrong([withAction(reach, { positionMetres: wrong })]);
    expect(distance(env.physics.handPose().positionMetres, wrong)).toBeLessThan(0.01);
    expect(distance(env.physics.handPose().positionMetres, position('target'))).toBeGreaterThan(0.1);
  });

  it('pick_and_lift: picking and lifting a distractor block', async () => {
    await env.reset({ task: 'pick_and_lift', seed: 3, variation: 6 });
    const distractor = env.physics.bodyPose('distractor1');
    const steps = overXy(env.expert(), distractor.positionMetres, topDownQuat(yawOf(distractor)));
    await runWrong(steps);
    expect(env.physics.heldBody()).toBe('distractor1');
    expect(position('distractor1')[2]).toBeGreaterThan(0.12);
    expect(position('block')[2]).toBeLessThan(0.03);
  });

  it('push_buttons: pressing two buttons in the wrong order', async () => {
    await env.reset({ task: 'push_buttons', seed: 3, variation: 20 + 6 });
    const steps = env.expert();
    expect(steps).toHaveLength(6);
    // The expert presses button 0 (above, press, release), then button 1; swap the two.
    const swapped = [...steps.slice(3), ...steps.slice(0, 3)];
    const pressedCaps: number[] = [];
    for (const [k, s] of swapped.entries()) {
      const r = await env.step(s.action);
      expect(r.failureReason).toBeUndefined();
      expect(r.success).toBe(false);
      if (k % 3 === 1) pressedCaps.push(env.physics.jointValue(k < 3 ? 'button1' : 'button0'));
    }
    // Both presses really pushed their cap past the press threshold (-6 mm).
    expect(pressedCaps.every((v) => v < -0.006)).toBe(true);
    expect(env.isSuccess()).toBe(false);
  });

  it('slide_block_to_color_target: pushing the block onto another colour', async () => {
    await env.reset({ task: 'slide_block_to_color_target', seed: 3, variation: 6 });
    const block = position('block');
    const target = position('target');
    const areaName = env.sceneSpec.bodies.map((b) => b.name).find((n) => n.startsWith('area'));
    expect(areaName).toBeDefined();
    const area = position(areaName as string);
    const steps = env.expert();
    expect(steps).toHaveLength(4);
    // Turn the push about the block towards the other area, then lengthen or shorten its end.
    const from = Math.atan2(target[1] - block[1], target[0] - block[0]);
    const to = Math.atan2(area[1] - block[1], area[0] - block[0]);
    const rotated = turned(steps, block, to - from);
    const stretch = distanceXy(area, block) - distanceXy(target, block);
    const along: Vec3 = [Math.cos(to) * stretch, Math.sin(to) * stretch, 0];
    const pushQuat = topDownQuat(to);
    const wrong = [...rotated.slice(0, 2), ...translated(rotated.slice(2), along)].map((s) => withAction(s, { quaternion: pushQuat }));
    await runWrong(wrong);
    const moved = position('block');
    expect(Math.abs(moved[0] - area[0])).toBeLessThan(0.06);
    expect(Math.abs(moved[1] - area[1])).toBeLessThan(0.06);
  });

  it('open_drawer: opening a different drawer', async () => {
    await env.reset({ task: 'open_drawer', seed: 3, variation: 0 });
    const bottom = position('drawer_bottom');
    const middle = position('drawer_middle');
    const steps = translated(env.expert(), [middle[0] - bottom[0], middle[1] - bottom[1], middle[2] - bottom[2]]);
    await runWrong(steps);
    expect(env.physics.jointValue('drawer_middle')).toBeGreaterThan(0.15);
    expect(Math.abs(env.physics.jointValue('drawer_bottom'))).toBeLessThan(0.01);
  });

  it('put_item_in_drawer: releasing the item on the table', async () => {
    await env.reset({ task: 'put_item_in_drawer', seed: 3, variation: 1 });
    const start = position('item');
    const steps = env.expert();
    const [approach, grasp, lift] = steps;
    // Pick and lift as the expert does, then put the item back down where it was and let go.
    const wrong = [approach, grasp, lift, grasp, withAction(grasp, { gripperOpen: true }), withAction(approach, { gripperOpen: true })];
    await runWrong(wrong);
    expect(env.physics.heldBody()).toBeNull();
    const end = position('item');
    expect(distanceXy(end, start)).toBeLessThan(0.02);
    expect(Math.abs(end[2] - 0.0225)).toBeLessThan(0.005);
  });

  it('stack_blocks: stacking a distractor instead of a named block', async () => {
    await env.reset({ task: 'stack_blocks', seed: 3, variation: 6 });
    const steps = env.expert();
    expect(steps).toHaveLength(6);
    const distractor = env.physics.bodyPose('distractor0');
    const grip = topDownQuat(yawOf(distractor));
    // Block 0's approach and grasp move to the distractor; its place keeps the xy but the distractor's grip.
    const wrong = [...overXy(steps.slice(0, 2), distractor.positionMetres, grip), withAction(steps[2], { quaternion: grip }), ...steps.slice(3)];
    const block0 = position('block0');
    await runWrong(wrong);
    const t = position('target');
    const d = position('distractor0');
    const b1 = position('block1');
    expect(distanceXy(d, t)).toBeLessThan(0.02);
    expect(distanceXy(b1, t)).toBeLessThan(0.02);
    expect(b1[2]).toBeGreaterThan(d[2] + 0.035);
    expect(distance(position('block0'), block0)).toBeLessThan(0.01);
  });

  it('put_block_in_bowl: placing the block in the distractor bowl', async () => {
    await env.reset({ task: 'put_block_in_bowl', seed: 3, variation: 6 });
    const steps = env.expert();
    expect(steps).toHaveLength(6);
    const other = position('distractor_bowl');
    await runWrong([...steps.slice(0, 3), ...overXy(steps.slice(3), other)]);
    expect(env.physics.heldBody()).toBeNull();
    expect(distanceXy(position('block'), other)).toBeLessThan(0.05);
    expect(distanceXy(position('block'), position('bowl'))).toBeGreaterThan(0.1);
  });

  it('close_jar: putting the lid on the distractor jar', async () => {
    await env.reset({ task: 'close_jar', seed: 3, variation: 6 });
    const steps = env.expert();
    expect(steps).toHaveLength(6);
    const other = position('distractor_jar');
    await runWrong([...steps.slice(0, 3), ...overXy(steps.slice(3), other)]);
    expect(env.physics.heldBody()).toBeNull();
    const lid = position('lid');
    expect(distanceXy(lid, other)).toBeLessThan(0.015);
    expect(Math.abs(lid[2] - (other[2] + 0.05))).toBeLessThan(0.01);
  });

  it('turn_tap: turning the other tap', async () => {
    await env.reset({ task: 'turn_tap', seed: 3, variation: 0 });
    const left = env.physics.bodyPose('left_tap');
    const right = env.physics.bodyPose('right_tap');
    const l = left.positionMetres;
    const r = right.positionMetres;
    // The expert's arc, carried over to the right lever: turned by the levers' yaw difference, then moved.
    const arc = turned(env.expert(), l, yawOf(right) - yawOf(left), true);
    await runWrong(translated(arc, [r[0] - l[0], r[1] - l[1], r[2] - l[2]]));
    expect(env.physics.jointValue('right_tap')).toBeGreaterThan(1.4);
    expect(env.physics.jointValue('left_tap')).toBeLessThan(0.05);
  });
});

describe('variations and goals', () => {
  const counts: Record<string, number> = {
    reach_target: 20,
    pick_and_lift: 20,
    push_buttons: 60,
    slide_block_to_color_target: 20,
    open_drawer: 3,
    put_item_in_drawer: 3,
    stack_blocks: 60,
    put_block_in_bowl: 20,
    close_jar: 20,
    turn_tap: 2,
  };

  it('each task has its variation count', () => {
    expect(RLBENCH_COLOURS).toHaveLength(20);
    expect(Object.fromEntries(TASK_NAMES.map((n) => [n, getTask(n).variationCount]))).toEqual(counts);
  });

  /** The word the goal must contain for a variation: its colour, drawer or side. */
  function variationWord(task: string, variation: number): string {
    if (task === 'open_drawer' || task === 'put_item_in_drawer') return ['bottom', 'middle', 'top'][variation];
    if (task === 'turn_tap') return ['left', 'right'][variation];
    const colour = variation % 20;
    // stack_blocks swaps green (the target area's colour) for lime.
    if (task === 'stack_blocks' && colour === 3) return 'lime';
    return RLBENCH_COLOURS[colour][0];
  }

  it.each(TASK_NAMES.map((n) => [n]))('%s: three or more phrasings, each naming the variation', (task) => {
    const def = getTask(task);
    const variations = [...new Set([0, 1, def.variationCount - 1, Math.floor(def.variationCount / 2)])];
    const firstGoals = new Set<string>();
    for (const v of variations) {
      const { goals } = def.build(v, new Rng(7));
      expect(new Set(goals).size).toBeGreaterThanOrEqual(3);
      expect(goals).toHaveLength(new Set(goals).size);
      const word = variationWord(task, v);
      for (const g of goals) expect(g).toMatch(new RegExp(`\\b${word}\\b`));
      firstGoals.add(goals[0]);
    }
    // Different variations read differently.
    expect(firstGoals.size).toBe(variations.length);
  });

  it('push_buttons and stack_blocks goals name the count', () => {
    // push_buttons: variation / 20 + 1 buttons, named in order.
    const three = getTask('push_buttons').build(40 + 4, new Rng(1)).goals[0];
    expect(three).toMatch(/^push the blue button, then the \w+ button, then the \w+ button$/);
    for (const [variation, count] of [[5, 2], [25, 3], [45, 4]]) {
      for (const g of getTask('stack_blocks').build(variation, new Rng(1)).goals) expect(g).toContain(`${count}`);
    }
  });

  it('reset hands out one of the phrasings and the variation it used', async () => {
    const seen = new Set<string>();
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const r = await env.reset({ task: 'close_jar', seed, variation: 4 });
      expect(r.variation).toBe(4);
      expect(getTask('close_jar').build(4, new Rng(seed)).goals).toContain(r.goal);
      expect(r.goal).toMatch(/\bblue\b/);
      seen.add(r.goal);
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe('task goals', () => {
  it('use only words of the words-v1 vocabulary, so no goal word shares a hash bucket', () => {
    const firstBucket = WORD_OFFSET + WORDS_V1.length;
    const unknown = new Set<string>();
    for (const name of TASK_NAMES) {
      const task = getTask(name);
      for (let variation = 0; variation < task.variationCount; variation++) {
        for (const goal of task.build(variation, new Rng(variation)).goals) {
          const t = tokenizeWords(goal);
          if (t.ids.subarray(1, t.validCount - 1).some((id) => id >= firstBucket)) unknown.add(`${name}: ${goal}`);
        }
      }
    }
    expect([...unknown]).toEqual([]);
  });
});
