import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Matrix4, Vector3 } from 'three';
import { PeractError, type Action, type CameraFrame, type Observation, type Pose, type ResetOptions } from '../../core/index.js';
import { forwardKinematics, PANDA_JOINT_LOWER_RAD, PANDA_JOINT_UPPER_RAD, ROBOT_ARM_OBJECT_ID, ROBOT_GRIPPER_OBJECT_ID, SimEnv, TASK_NAMES, getTask } from '../../sim/index.js';

const DOWN: Pose['quaternion'] = [1, 0, 0, 0];
const CAMERA_NAMES = ['front', 'left_shoulder', 'right_shoulder', 'wrist'];

let env: SimEnv;

beforeAll(() => {
  env = new SimEnv();
});

afterAll(async () => {
  await env.close();
});

function bytes(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Every body pose as one array of numbers, in scene order, for bit-exact comparison. */
function poseBytes(e: SimEnv): Buffer {
  const world = e.physics;
  const values = world.bodyNames().flatMap((n) => {
    const p = world.bodyPose(n);
    return [...p.positionMetres, ...p.quaternion];
  });
  return bytes(new Float64Array(values));
}

function expectSameImages(a: Observation, b: Observation): void {
  expect(a.cameras.map((c) => c.name)).toEqual(b.cameras.map((c) => c.name));
  a.cameras.forEach((ca, i) => {
    const cb = b.cameras[i];
    expect(bytes(ca.rgb).equals(bytes(cb.rgb)), `${ca.name} rgb`).toBe(true);
    expect(bytes(ca.depthMetres).equals(bytes(cb.depthMetres)), `${ca.name} depth`).toBe(true);
    expect(bytes(ca.mask as Uint16Array).equals(bytes(cb.mask as Uint16Array)), `${ca.name} mask`).toBe(true);
    expect(Array.from(ca.worldFromCamera)).toEqual(Array.from(cb.worldFromCamera));
  });
  expect(a.gripperPose).toEqual(b.gripperPose);
}

async function expectFieldError(call: () => Promise<unknown>, field: string | RegExp): Promise<PeractError> {
  const err = await call().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PeractError);
  const e = err as PeractError;
  expect(e.code).toBe('INVALID_ARGUMENT');
  if (typeof field === 'string') expect(e.field).toBe(field);
  else expect(e.field).toMatch(field);
  expect(e.message).toContain(e.field);
  return e;
}

/** Runs the expert to the end of the episode; returns the last observation. */
async function runExpert(e: SimEnv): Promise<Observation> {
  let last: Observation | undefined;
  for (const s of e.expert()) {
    const r = await e.step(s.action);
    last = r.observation;
    if (r.done) {
      expect(r.success).toBe(true);
      break;
    }
  }
  return last as Observation;
}

function stayPut(e: SimEnv, overrides: Partial<Action> = {}): Action {
  const hand = e.physics.handPose();
  return { positionMetres: hand.positionMetres, quaternion: hand.quaternion, gripperOpen: true, ignoreCollisions: false, ...overrides };
}

describe('SimEnv determinism', () => {
  const episode: ResetOptions = { task: 'put_block_in_bowl', variation: 5, seed: 11 };

  it('replays the same task, variation and seed bit for bit, also after another episode', async () => {
    const other = new SimEnv();
    try {
      const a = await env.reset(episode);
      const b = await other.reset(episode);
      expect(a.goal).toBe(b.goal);
      expect(poseBytes(env).equals(poseBytes(other))).toBe(true);
      expectSameImages(a.observation, b.observation);

      const endA = await runExpert(env);
      const stateA = bytes(env.physics.saveState());
      // The second environment runs something else first: nothing of it may leak into the replay.
      await other.reset({ task: 'stack_blocks', variation: 30, seed: 2 });
      await other.step(stayPut(other, { gripperOpen: false }));
      const again = await other.reset(episode);
      expect(poseBytes(env).equals(poseBytes(other))).toBe(false);
      expectSameImages(a.observation, again.observation);
      const endB = await runExpert(other);
      expect(bytes(other.physics.saveState()).equals(stateA)).toBe(true);
      expect(poseBytes(other).equals(poseBytes(env))).toBe(true);
      expect(other.jointPositionsRad).toEqual(env.jointPositionsRad);
      expectSameImages(endA, endB);
    } finally {
      await other.close();
    }
  });

  it('different seeds give different layouts', async () => {
    const layouts = new Set<string>();
    for (const seed of [0, 1, 2]) {
      await env.reset({ task: 'pick_and_lift', variation: 4, seed });
      layouts.add(poseBytes(env).toString('hex'));
      const block = env.physics.bodyPose('block').positionMetres;
      expect(block[2]).toBeGreaterThan(0.015);
      expect(block[2]).toBeLessThan(0.03);
    }
    expect(layouts.size).toBe(3);
    const a = (await env.reset({ task: 'turn_tap', variation: 0, seed: 0 })).observation.cameras[0].rgb;
    const b = (await env.reset({ task: 'turn_tap', variation: 0, seed: 1 })).observation.cameras[0].rgb;
    expect(bytes(a).equals(bytes(b))).toBe(false);
  });

  it('without a variation, draws one from the seed (the same one each time)', async () => {
    const a = await env.reset({ task: 'reach_target', seed: 9 });
    const poses = poseBytes(env);
    const b = await env.reset({ task: 'reach_target', seed: 9 });
    expect(b.variation).toBe(a.variation);
    expect(b.goal).toBe(a.goal);
    expect(poseBytes(env).equals(poses)).toBe(true);
    expect(a.variation).toBeGreaterThanOrEqual(0);
    expect(a.variation).toBeLessThan(getTask('reach_target').variationCount);
  });
});

describe('SimEnv failures', () => {
  it('an unreachable target is refused with a reason instead of throwing; nothing moves and the episode goes on', async () => {
    await env.reset({ task: 'pick_and_lift', variation: 0, seed: 1 });
    const before = env.physics.handPose();
    const r = await env.step({ positionMetres: [2.3, 0.5, 0.5], quaternion: DOWN, gripperOpen: true, ignoreCollisions: false });
    expect(r.refused).toBe(true);
    expect(r.done).toBe(false);
    expect(r.success).toBe(false);
    expect(r.failureReason).toMatch(/^planner: unreachable/);
    expect(r.observation.step).toBe(1);
    expect(r.observation.gripperPose).toEqual(before);
    // The refusal counted as a step; the next action executes.
    const next = await env.step(stayPut(env));
    expect(next.refused).toBeUndefined();
    expect(next.observation.step).toBe(2);
  });

  it('a finished episode refuses further steps until reset', async () => {
    await env.reset({ task: 'pick_and_lift', variation: 0, seed: 1 });
    let last = await env.step(stayPut(env));
    while (!last.done) last = await env.step(stayPut(env));
    expect(last.observation.step).toBe(getTask('pick_and_lift').episodeLimit);
    const err = await env.step(stayPut(env)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PeractError);
    expect((err as PeractError).message).toMatch(/reset/);
  });

  it('a goal inside the table is refused by the planner (collision-aware) or stopped by the table (ignoring collisions), and the episode goes on', async () => {
    await env.reset({ task: 'pick_and_lift', variation: 0, seed: 1 });
    const careful = await env.step({ positionMetres: [0.5, 0, -0.1], quaternion: DOWN, gripperOpen: true, ignoreCollisions: false });
    expect(careful.refused).toBe(true);
    expect(careful.success).toBe(false);
    expect(careful.failureReason).toMatch(/^planner: collision.*table/);

    await env.reset({ task: 'pick_and_lift', variation: 0, seed: 1 });
    const blind = await env.step({ positionMetres: [0.5, 0, -0.1], quaternion: DOWN, gripperOpen: true, ignoreCollisions: true });
    expect(blind.done).toBe(false);
    expect(blind.refused).toBeUndefined();
    expect(blind.success).toBe(false);
    expect(blind.failureReason).toMatch(/^execution: .*blocked/);
    // The table (top at z = 0, 5 cm thick) stopped the hand far above the goal; the arm's joints
    // were taken from where it stopped.
    const stopped = env.physics.handPose().positionMetres;
    expect(stopped[2]).toBeGreaterThan(-0.03);
    const armTool = forwardKinematics(env.jointPositionsRad).toolPose.positionMetres;
    expect(Math.hypot(...armTool.map((v, i) => v - stopped[i]))).toBeLessThan(0.005);
    // The hand is held there, not left pushing into the table, and the next action runs from it.
    const after = await env.step({ positionMetres: [0.5, 0, 0.2], quaternion: DOWN, gripperOpen: true, ignoreCollisions: false });
    expect(after.failureReason).toBeUndefined();
    expect(after.done).toBe(false);
    expect(Math.abs(env.physics.handPose().positionMetres[2] - 0.2)).toBeLessThan(0.005);
    // A stopped move still ends with its gripper command (the fingers, pressed on the table,
    // may not get far: that is physics, not the command).
    const closing = await env.step({ positionMetres: [0.5, 0, -0.1], quaternion: DOWN, gripperOpen: false, ignoreCollisions: true });
    expect(closing.failureReason).toMatch(/^execution: .*blocked/);
    expect(closing.done).toBe(false);
    expect(closing.observation.gripperOpen).toBe(false);
  });

  it('malformed actions throw an error naming the field and leave the episode untouched', async () => {
    await env.reset({ task: 'open_drawer', variation: 1, seed: 0 });
    const good = stayPut(env);
    const bad = (change: Record<string, unknown>): (() => Promise<unknown>) => () => env.step({ ...good, ...change } as unknown as Action);
    await expectFieldError(bad({ positionMetres: [Number.NaN, 0, 0.3] }), 'action.positionMetres[0]');
    await expectFieldError(bad({ positionMetres: [0.4, Number.POSITIVE_INFINITY, 0.3] }), 'action.positionMetres[1]');
    await expectFieldError(bad({ positionMetres: [0.4, 0] }), 'action.positionMetres');
    await expectFieldError(bad({ positionMetres: undefined }), 'action.positionMetres');
    await expectFieldError(bad({ quaternion: [0, 0, 0, 0] }), 'action.quaternion');
    await expectFieldError(bad({ quaternion: [0, 0, Number.NaN, 1] }), 'action.quaternion[2]');
    await expectFieldError(bad({ gripperOpen: 1 }), 'action.gripperOpen');
    await expectFieldError(bad({ gripperOpen: undefined }), 'action.gripperOpen');
    await expectFieldError(bad({ ignoreCollisions: 'yes' }), 'action.ignoreCollisions');
    await expectFieldError(() => env.step(null as unknown as Action), 'action');
    expect(env.observe().step).toBe(0);
    const r = await env.step(good);
    expect(r.failureReason).toBeUndefined();
    expect(r.done).toBe(false);
    expect(r.observation.step).toBe(1);
  });

  it('reset rejects an unknown task, a bad variation or seed, naming the field', async () => {
    await expectFieldError(() => env.reset({ task: 'fold_laundry' }), 'task');
    await expectFieldError(() => env.reset({ task: 'open_drawer', variation: 3 }), 'variation');
    await expectFieldError(() => env.reset({ task: 'turn_tap', variation: -1 }), 'variation');
    await expectFieldError(() => env.reset({ task: 'push_buttons', variation: 1.5 }), 'variation');
    await expectFieldError(() => env.reset({ task: 'push_buttons', variation: 60 }), 'variation');
    await expectFieldError(() => env.reset({ task: 'reach_target', seed: -1 }), 'seed');
    await expectFieldError(() => env.reset(null as unknown as ResetOptions), 'options');
    // The last variation of each task is accepted.
    await expect(env.reset({ task: 'push_buttons', variation: 59, seed: 0 })).resolves.toMatchObject({ variation: 59 });
  });

  it('a fresh environment refuses to step or give an expert before reset', async () => {
    const fresh = new SimEnv();
    await expect(fresh.step({ positionMetres: [0.4, 0, 0.3], quaternion: DOWN, gripperOpen: true, ignoreCollisions: false })).rejects.toBeInstanceOf(PeractError);
    expect(() => fresh.expert()).toThrow(PeractError);
    expect(fresh.isSuccess()).toBe(false);
    await fresh.close();
  });
});

/** World points of the camera's pixels whose mask id is `id` (ROS optical frame, pixel centres at integer u, v as the rasterizer draws them). */
function worldPointsOf(frame: CameraFrame, id: number): Vector3[] {
  const m = new Matrix4();
  const w = Array.from(frame.worldFromCamera);
  m.set(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15]);
  const { fx, fy, cx, cy } = frame.intrinsics;
  const out: Vector3[] = [];
  for (let v = 0; v < frame.height; v++) {
    for (let u = 0; u < frame.width; u++) {
      const i = v * frame.width + u;
      if ((frame.mask as Uint16Array)[i] !== id) continue;
      const z = frame.depthMetres[i];
      out.push(new Vector3(((u - cx) / fx) * z, ((v - cy) / fy) * z, z).applyMatrix4(m));
    }
  }
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

describe('SimEnv observations', () => {
  it('four 128x128 RGB-D cameras with masks, in PerAct order', async () => {
    const { observation } = await env.reset({ task: 'pick_and_lift', variation: 0, seed: 2 });
    expect(observation.cameras.map((c) => c.name)).toEqual(CAMERA_NAMES);
    for (const c of observation.cameras) {
      expect([c.width, c.height]).toEqual([128, 128]);
      expect(c.rgb).toBeInstanceOf(Uint8Array);
      expect(c.rgb).toHaveLength(128 * 128 * 3);
      expect(c.depthMetres).toBeInstanceOf(Float32Array);
      expect(c.depthMetres).toHaveLength(128 * 128);
      expect(c.mask).toHaveLength(128 * 128);
      expect(c.worldFromCamera).toHaveLength(16);
      // Where nothing was drawn there is no depth reading; elsewhere a positive one.
      const mask = c.mask as Uint16Array;
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] === 0) expect(c.depthMetres[i] > 0).toBe(false);
        else if (!(c.depthMetres[i] > 0 && c.depthMetres[i] < 3)) expect.fail(`${c.name} pixel ${i}: depth ${c.depthMetres[i]} on object ${mask[i]}`);
      }
    }
  });

  it('depth back-projects onto the table top and onto the named block', async () => {
    const { observation } = await env.reset({ task: 'pick_and_lift', variation: 0, seed: 2 });
    for (const c of observation.cameras) {
      const table = worldPointsOf(c, 1);
      expect(table.length, c.name).toBeGreaterThan(500);
      // The table's top is z = 0; its 5 cm thick front edge shows in some views.
      expect(Math.abs(median(table.map((p) => p.z))), c.name).toBeLessThan(0.003);
      expect(table.every((p) => p.z > -0.055 && p.z < 0.004), c.name).toBe(true);
    }
    const front = observation.cameras[0];
    const block = env.physics.bodyPose('block').positionMetres;
    const seen = worldPointsOf(front, env.sceneSpec.bodies.find((b) => b.name === 'block')?.objectId ?? -1);
    expect(seen.length).toBeGreaterThan(5);
    // Every visible point of a 4.5 cm cube lies within its half diagonal of the centre.
    for (const p of seen) expect(p.distanceTo(new Vector3(...block))).toBeLessThan(0.041);
  });

  it('the front camera sees every task object (drawers from the shoulders), in its colour', async () => {
    for (const task of TASK_NAMES) {
      const { observation } = await env.reset({ task, variation: 0, seed: 4 });
      const [front, left, right] = observation.cameras;
      const frontIds = new Set(front.mask);
      const shoulderIds = new Set([...(left.mask as Uint16Array), ...(right.mask as Uint16Array)]);
      // The robot arm and gripper are in view too.
      expect(frontIds.has(ROBOT_ARM_OBJECT_ID) || frontIds.has(ROBOT_GRIPPER_OBJECT_ID), task).toBe(true);
      for (const body of env.sceneSpec.bodies) {
        // The drawers face the robot, so the front camera (across the table) sees only the cabinet's back.
        const ids = body.name.startsWith('drawer_') ? shoulderIds : frontIds;
        expect(ids.has(body.objectId), `${task}: ${body.name}`).toBe(true);
      }
    }
    // Variation 0 is red: the named block's pixels are red.
    const { observation } = await env.reset({ task: 'pick_and_lift', variation: 0, seed: 4 });
    const front = observation.cameras[0];
    const id = env.sceneSpec.bodies.find((b) => b.name === 'block')?.objectId;
    let r = 0;
    let g = 0;
    let b = 0;
    let n = 0;
    (front.mask as Uint16Array).forEach((m, i) => {
      if (m !== id) return;
      r += front.rgb[3 * i];
      g += front.rgb[3 * i + 1];
      b += front.rgb[3 * i + 2];
      n++;
    });
    expect(n).toBeGreaterThan(0);
    expect(r / n).toBeGreaterThan(g / n + 60);
    expect(r / n).toBeGreaterThan(b / n + 60);
  });

  it('gripper pose and proprioception follow the physics hand', async () => {
    const { observation } = await env.reset({ task: 'reach_target', variation: 3, seed: 5 });
    const expectProprio = (o: Observation, open: boolean, step: number): void => {
      expect(o.gripperPose).toEqual(env.physics.handPose());
      expect(o.gripperOpen).toBe(open);
      expect(o.step).toBe(step);
      const q = o.gripperPose.quaternion;
      expect(Math.hypot(...q)).toBeCloseTo(1, 9);
      expect(q[3]).toBeGreaterThanOrEqual(0);
      expect(o.fingerWidthsMetres).toHaveLength(2);
      for (const f of o.fingerWidthsMetres) {
        expect(f).toBeGreaterThanOrEqual(-0.0005);
        expect(f).toBeLessThanOrEqual(0.0405);
        if (open) expect(f).toBeGreaterThan(0.035);
        else expect(f).toBeLessThan(0.005);
      }
      const joints = o.jointPositionsRad as number[];
      expect(joints).toEqual(env.jointPositionsRad);
      expect(joints).toHaveLength(7);
      joints.forEach((v, k) => {
        expect(v).toBeGreaterThanOrEqual(PANDA_JOINT_LOWER_RAD[k]);
        expect(v).toBeLessThanOrEqual(PANDA_JOINT_UPPER_RAD[k]);
      });
    };
    expectProprio(observation, true, 0);
    expect(observation).toEqual(env.observe());

    const target: Action = { positionMetres: [0.42, -0.1, 0.25], quaternion: DOWN, gripperOpen: false, ignoreCollisions: false };
    const r = await env.step(target);
    expect(r.failureReason).toBeUndefined();
    expectProprio(r.observation, false, 1);
    const p = r.observation.gripperPose.positionMetres;
    expect(Math.hypot(p[0] - 0.42, p[1] + 0.1, p[2] - 0.25)).toBeLessThan(0.005);

    const reopened = await env.step({ ...target, gripperOpen: true });
    expectProprio(reopened.observation, true, 2);
  });

  it('a do-nothing policy runs out of steps at the episode limit without success', async () => {
    await env.reset({ task: 'pick_and_lift', variation: 1, seed: 6 });
    const limit = getTask('pick_and_lift').episodeLimit;
    expect(limit).toBe(25);
    const start = env.physics.handPose();
    for (let k = 1; k <= limit; k++) {
      const r = await env.step(stayPut(env));
      expect(r.failureReason).toBeUndefined();
      expect(r.success).toBe(false);
      expect(r.observation.step).toBe(k);
      expect(r.done).toBe(k === limit);
    }
    const end = env.physics.handPose().positionMetres;
    expect(Math.hypot(...end.map((v, i) => v - start.positionMetres[i]))).toBeLessThan(0.002);
    await expect(env.step(stayPut(env))).rejects.toBeInstanceOf(PeractError);
  });
});
