import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poseFromMatrix, type Observation } from '../../core/index.js';
import {
  BridgeServer,
  cameraInfoMsg,
  decodeColour,
  decodeDepth,
  formatRobotStep,
  header,
  imageMsg,
  intrinsicsFromCameraInfo,
  parseRosEnvConfig,
  poseMsg,
  rosTimeFromMs,
  RosEnv,
  runOnRobot,
  startSimBridge,
  transformMsg,
  type SimBridge,
} from '../../bridge/index.js';
import { SimEnv } from '../../sim/index.js';
import { scriptedPolicy } from './helpers.js';

let bridge: SimBridge;

beforeAll(async () => {
  bridge = await startSimBridge({ port: 0, task: 'reach_target', seed: 0, rateHz: 20, viewer: false });
});

afterAll(async () => {
  await bridge?.close();
});

function expectSameObservation(a: Observation, b: Observation): void {
  expect(a.cameras.map((c) => c.name)).toEqual(b.cameras.map((c) => c.name));
  a.cameras.forEach((c, i) => {
    const d = b.cameras[i];
    expect(Buffer.from(c.rgb).equals(Buffer.from(d.rgb))).toBe(true);
    expect(Buffer.from(c.depthMetres.buffer, c.depthMetres.byteOffset, c.depthMetres.byteLength).equals(Buffer.from(d.depthMetres.buffer, d.depthMetres.byteOffset, d.depthMetres.byteLength))).toBe(true);
    expect(c.intrinsics).toEqual(d.intrinsics);
    Array.from(c.worldFromCamera).forEach((v, k) => expect(v).toBeCloseTo(d.worldFromCamera[k], 9));
  });
  a.gripperPose.positionMetres.forEach((v, k) => expect(v).toBeCloseTo(b.gripperPose.positionMetres[k], 9));
  expect(a.gripperOpen).toBe(b.gripperOpen);
  expect(a.step).toBe(b.step);
}

describe('RosEnv against peract serve', () => {
  it('runs an episode with the same outcome and observations as in-process', async () => {
    const env = await RosEnv.connect({ url: bridge.url });
    const local = new SimEnv();
    try {
      const reset = { task: 'pick_and_lift', seed: 5 };
      const [remote, here] = [await env.reset(reset), await local.reset(reset)];
      expect(remote.goal).toBe(here.goal);
      expect(remote.variation).toBe(here.variation);
      expectSameObservation(remote.observation, here.observation);
      const expert = local.expert();
      const policyRemote = scriptedPolicy(expert);
      const policyHere = scriptedPolicy(expert);
      let obsR = remote.observation;
      let obsH = here.observation;
      for (let k = 0; k < 10; k++) {
        const [aR, aH] = [await policyRemote.act(obsR, remote.goal), await policyHere.act(obsH, here.goal)];
        const r = await env.step(aR.action);
        const h = await local.step(aH.action);
        expect({ success: r.success, done: r.done, failureReason: r.failureReason }).toEqual({ success: h.success, done: h.done, failureReason: h.failureReason });
        expectSameObservation(r.observation, h.observation);
        obsR = r.observation;
        obsH = h.observation;
        if (h.done) break;
      }
      expect(local.isSuccess()).toBe(true);
      expect(await env.isSuccess()).toBe(true);
      expect(obsR.step).toBe(obsH.step);
    } finally {
      await env.close();
      await local.close();
    }
  });

  it('passes a refusal through: nothing moved, the episode goes on', async () => {
    const env = await RosEnv.connect({ url: bridge.url });
    try {
      const start = await env.reset({ task: 'pick_and_lift', seed: 5 });
      const r = await env.step({ ...start.observation.gripperPose, positionMetres: [2.3, 0.5, 0.5], gripperOpen: true, ignoreCollisions: false });
      expect(r.refused).toBe(true);
      expect(r.done).toBe(false);
      expect(r.failureReason).toMatch(/planner: unreachable/);
      expect(r.observation.gripperPose.positionMetres[0]).toBeCloseTo(start.observation.gripperPose.positionMetres[0], 3);
    } finally {
      await env.close();
    }
  });

  it('passes a move a contact stopped through: the reason is kept and the episode goes on', async () => {
    const env = await RosEnv.connect({ url: bridge.url });
    try {
      const start = await env.reset({ task: 'pick_and_lift', seed: 5 });
      const r = await env.step({ ...start.observation.gripperPose, positionMetres: [0.5, 0, -0.1], gripperOpen: true, ignoreCollisions: true });
      expect(r.refused).toBeUndefined();
      expect(r.done).toBe(false);
      expect(r.failureReason).toMatch(/execution: .*blocked/);
    } finally {
      await env.close();
    }
  });

  it('takes camera poses from a calibration file as well as from tf', async () => {
    const tfEnv = await RosEnv.connect({ url: bridge.url });
    const viaTf = await tfEnv.observe();
    await tfEnv.close();
    const cameras = Object.fromEntries(
      viaTf.cameras.map((c) => {
        const m = Array.from(c.worldFromCamera);
        if (c.name !== 'wrist') return [c.name, { positionMetres: [m[3], m[7], m[11]], quaternion: quatOf(m) }];
        // Eye-in-hand: the wrist camera relative to the gripper, in translation/rotation form.
        return [c.name, { parent: 'gripper', translation: { x: 0, y: 0, z: -0.03 }, rotation: { x: 0, y: 0, z: 0, w: 1 } }];
      }),
    );
    const calEnv = await RosEnv.connect({ url: bridge.url, extrinsics: { source: 'calibration', cameras } });
    const viaCal = await calEnv.observe();
    await calEnv.close();
    viaCal.cameras.forEach((c, i) => Array.from(c.worldFromCamera).forEach((v, k) => expect(v).toBeCloseTo(viaTf.cameras[i].worldFromCamera[k], 6)));
  });

  it('fails with a clear error naming a silent topic', async () => {
    const env = await RosEnv.connect({ url: bridge.url, cameras: ['front', 'ghost'], topicTimeoutMs: 400 });
    await expect(env.observe()).rejects.toThrow(/no message within 400 ms on \/ghost\/color\/image_raw, \/ghost\/depth\/image_raw, \/ghost\/camera_info/);
    await env.close();
  });

  it('fails with a clear error when nothing listens', async () => {
    await expect(RosEnv.connect({ url: 'ws://127.0.0.1:9', connectTimeoutMs: 1000 })).rejects.toThrow(/could not connect to ws:\/\/127\.0\.0\.1:9|cannot connect/);
  });

  it('reconnects after the connection drops', async () => {
    const own = await startSimBridge({ port: 0, task: 'reach_target', seed: 0, rateHz: 20, viewer: false });
    const port = own.server.port;
    const env = await RosEnv.connect({ url: own.url, reconnectDelayMs: 100 });
    await env.observe();
    await own.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(env.isConnected).toBe(false);
    const again = await startSimBridge({ port, task: 'reach_target', seed: 0, rateHz: 20, viewer: false });
    try {
      const obs = await env.observe(performance.now());
      expect(env.isConnected).toBe(true);
      expect(obs.cameras).toHaveLength(4);
    } finally {
      await env.close();
      await again.close();
    }
  });
});

/**
 * A robot node that replays one simulator observation at 20 Hz (cameras, tf, gripper state),
 * with joint states and the goal starting late, or never.
 */
async function replayRobot(opts: { jointsAfterMs: number | null; goalAfterMs: number | null }): Promise<{ url: string; observation: Observation; goal: string; close(): Promise<void> }> {
  const sim = new SimEnv();
  const { observation, goal } = await sim.reset({ task: 'reach_target', seed: 3 });
  await sim.close();
  const server = await BridgeServer.start({ port: 0 });
  for (const c of observation.cameras) {
    server.defineTopic(`/${c.name}/color/image_raw`, 'sensor_msgs/Image');
    server.defineTopic(`/${c.name}/depth/image_raw`, 'sensor_msgs/Image');
    server.defineTopic(`/${c.name}/camera_info`, 'sensor_msgs/CameraInfo');
  }
  server.defineTopic('/tf_static', 'tf2_msgs/TFMessage', { latched: true });
  server.defineTopic('/peract/gripper_state', 'peract_msgs/GripperState');
  server.defineTopic('/joint_states', 'sensor_msgs/JointState');
  server.defineTopic('/peract/goal', 'std_msgs/String', { latched: true });
  const t0 = performance.now();
  server.publish('/tf_static', { transforms: observation.cameras.map((c) => transformMsg('world', `${c.name}_optical_frame`, poseFromMatrix(c.worldFromCamera), rosTimeFromMs(Date.now()))) });
  let goalSent = false;
  const timer = setInterval(() => {
    const stamp = rosTimeFromMs(Date.now());
    const since = performance.now() - t0;
    if (opts.goalAfterMs !== null && since >= opts.goalAfterMs && !goalSent) {
      server.publish('/peract/goal', { data: goal });
      goalSent = true;
    }
    if (opts.jointsAfterMs !== null && since >= opts.jointsAfterMs) {
      server.publish('/joint_states', { header: header('', stamp), name: ['panda_joint1', 'panda_joint2', 'panda_joint3', 'panda_joint4', 'panda_joint5', 'panda_joint6', 'panda_joint7'], position: observation.jointPositionsRad ?? [], velocity: [], effort: [] });
    }
    server.publish('/peract/gripper_state', { header: header('world', stamp), pose: poseMsg(observation.gripperPose), open: observation.gripperOpen, finger_widths: observation.fingerWidthsMetres ?? [0.04, 0.04] });
    for (const c of observation.cameras) {
      server.publish(`/${c.name}/camera_info`, cameraInfoMsg(c, `${c.name}_optical_frame`, stamp));
      server.publish(`/${c.name}/color/image_raw`, imageMsg(c, 'colour', `${c.name}_optical_frame`, stamp));
      server.publish(`/${c.name}/depth/image_raw`, imageMsg(c, 'depth', `${c.name}_optical_frame`, stamp));
    }
  }, 50);
  return {
    url: server.url,
    observation,
    goal,
    async close() {
      clearInterval(timer);
      await server.close();
    },
  };
}

describe('RosEnv waits for joint states and the goal, like the images', () => {
  const config = (url: string) => ({ url, resetService: null, successService: null, topicTimeoutMs: 3000 });

  it('the first observation has the joint positions and the goal, though they arrive late', async () => {
    const robot = await replayRobot({ jointsAfterMs: 500, goalAfterMs: 700 });
    const env = await RosEnv.connect(config(robot.url));
    try {
      const t0 = performance.now();
      const { observation, goal } = await env.reset({ task: 'robot' });
      expect(performance.now() - t0).toBeGreaterThan(300);
      expect(observation.jointPositionsRad).toEqual(robot.observation.jointPositionsRad?.slice(0, 7));
      expect(goal).toBe(robot.goal);
      expect(env.currentGoal).toBe(robot.goal);
      expect(observation.cameras).toHaveLength(robot.observation.cameras.length);
    } finally {
      await env.close();
      await robot.close();
    }
  });

  it('times out naming joint states and the goal when they never come', async () => {
    const robot = await replayRobot({ jointsAfterMs: null, goalAfterMs: null });
    const env = await RosEnv.connect({ ...config(robot.url), topicTimeoutMs: 600 });
    try {
      await expect(env.observe()).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/no message within 600 ms on \/joint_states, \/peract\/goal$/) });
    } finally {
      await env.close();
      await robot.close();
    }
  });

  it('names the joints a robot does not have', async () => {
    const robot = await replayRobot({ jointsAfterMs: 0, goalAfterMs: 0 });
    const env = await RosEnv.connect({ ...config(robot.url), jointStates: { topic: '/joint_states', names: ['shoulder_pan_joint', 'panda_joint2'] } });
    try {
      await expect(env.observe()).rejects.toMatchObject({ code: 'NOT_FOUND', field: 'jointStates.names', message: expect.stringMatching(/^jointStates\.names: \/joint_states has no finite position for shoulder_pan_joint \(it names: panda_joint1/) });
      // Without joint states configured, the observation comes without them.
      const plain = await RosEnv.connect({ ...config(robot.url), jointStates: null });
      const obs = await plain.observe();
      expect(obs.jointPositionsRad).toBeUndefined();
      await plain.close();
    } finally {
      await env.close();
      await robot.close();
    }
  });
});

describe('runOnRobot', () => {
  it('acts step by step until the task is done, reporting each action', async () => {
    const env = await RosEnv.connect({ url: bridge.url });
    try {
      const { goal } = await env.reset({ task: 'pick_and_lift', seed: 2 });
      const local = new SimEnv();
      await local.reset({ task: 'pick_and_lift', seed: 2 });
      const expert = local.expert();
      await local.close();
      const lines: string[] = [];
      const dry = await runOnRobot(env, scriptedPolicy(expert), goal, { dryRun: true, maxSteps: 2, onStep: (s) => lines.push(formatRobotStep(s)) });
      expect(dry.outcome).toBe('dry-run');
      expect(env.commandsSent).toBe(0);
      expect(lines[0]).toMatch(/^step 1: move to \[.*\] .* not sent \(dry run\)$/);
      const run = await runOnRobot(env, scriptedPolicy(expert), goal, { maxSteps: 10 });
      expect(run.outcome).toBe('success');
      expect(run.steps.every((s) => s.sent)).toBe(true);
      expect(env.commandsSent).toBe(run.steps.length);
    } finally {
      await env.close();
    }
  });
});

describe('RosEnv configuration and decoding', () => {
  it('defaults to the names peract serve uses and names bad fields', () => {
    const c = parseRosEnvConfig({ url: 'ws://robot:9090' });
    expect(c.cameras).toEqual(['front', 'left_shoulder', 'right_shoulder', 'wrist']);
    expect(c.command).toEqual({ mode: 'service', service: '/peract/execute', type: 'peract_msgs/Execute' });
    expect(() => parseRosEnvConfig({ url: 'http://x' })).toThrow(/config\.url/);
    expect(() => parseRosEnvConfig({ url: 'ws://x', syncToleranceMs: -1 })).toThrow(/syncToleranceMs/);
  });

  it('decodes bgr8, bgra8, 16UC1 millimetres and big-endian 32FC1', () => {
    const bgra = { width: 2, height: 1, encoding: 'bgra8', step: 8, is_bigendian: 0, data: [3, 2, 1, 255, 6, 5, 4, 255] };
    expect(Array.from(decodeColour(bgra).rgb)).toEqual([1, 2, 3, 4, 5, 6]);
    const bgr = { width: 1, height: 2, encoding: 'bgr8', step: 4, data: Buffer.from([3, 2, 1, 0, 6, 5, 4, 0]).toString('base64') };
    expect(Array.from(decodeColour(bgr).rgb)).toEqual([1, 2, 3, 4, 5, 6]);
    const mm = new Uint8Array(new Uint16Array([1500, 0]).buffer);
    expect(Array.from(decodeDepth({ width: 2, height: 1, encoding: '16UC1', step: 4, data: mm }).depthMetres)).toEqual([1.5, 0]);
    const be = Buffer.alloc(4);
    be.writeFloatBE(0.75);
    expect(Array.from(decodeDepth({ width: 1, height: 1, encoding: '32FC1', step: 4, is_bigendian: 1, data: be }).depthMetres)).toEqual([0.75]);
    expect(() => decodeDepth({ width: 1, height: 1, encoding: 'rgb8', step: 3, data: [1, 2, 3] })).toThrow(/depth encoding rgb8/);
  });

  it('reads ROS 1 (K) and ROS 2 (k) camera info', () => {
    const k = [500, 0, 63.5, 0, 501, 62.5, 0, 0, 1];
    expect(intrinsicsFromCameraInfo({ K: k, width: 128, height: 128 })).toMatchObject({ fx: 500, fy: 501, cx: 63.5, cy: 62.5 });
    expect(intrinsicsFromCameraInfo({ k, width: 128, height: 128 })).toMatchObject({ fx: 500 });
    expect(() => intrinsicsFromCameraInfo({ k: [1, 2] })).toThrow(/9 numbers/);
  });
});

function quatOf(m: number[]): [number, number, number, number] {
  // Shepperd's method on the row-major rotation block (test-only; the code uses three.js).
  const [r00, r01, r02, , r10, r11, r12, , r20, r21, r22] = m;
  const t = r00 + r11 + r22;
  if (t > 0) {
    const s = Math.sqrt(t + 1) * 2;
    return [(r21 - r12) / s, (r02 - r20) / s, (r10 - r01) / s, 0.25 * s];
  }
  if (r00 > r11 && r00 > r22) {
    const s = Math.sqrt(1 + r00 - r11 - r22) * 2;
    return [0.25 * s, (r01 + r10) / s, (r02 + r20) / s, (r21 - r12) / s];
  }
  if (r11 > r22) {
    const s = Math.sqrt(1 + r11 - r00 - r22) * 2;
    return [(r01 + r10) / s, 0.25 * s, (r12 + r21) / s, (r02 - r20) / s];
  }
  const s = Math.sqrt(1 + r22 - r00 - r11) * 2;
  return [(r02 + r20) / s, (r12 + r21) / s, 0.25 * s, (r10 - r01) / s];
}
