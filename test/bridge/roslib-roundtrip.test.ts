import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSimBridge, type SimBridge } from '../../bridge/index.js';
import { Service, Topic, type RosLike } from '../../bridge/ros/roslib.js';
import { openRos, withTimeout } from './helpers.js';

type Msg = Record<string, unknown>;

let bridge: SimBridge;
let ros: RosLike;

beforeAll(async () => {
  bridge = await startSimBridge({ port: 0, task: 'pick_and_lift', seed: 4, rateHz: 20, viewer: false });
  ros = await openRos(bridge.url);
});

afterAll(async () => {
  ros?.close();
  await bridge?.close();
});

function next(name: string, messageType: string, options: { compression?: 'none' | 'png' | 'cbor'; throttle_rate?: number; queue_length?: number } = {}, on: RosLike = ros): Promise<Msg> {
  const topic = new Topic<Msg>({ ros: on, name, messageType, ...options });
  return withTimeout(
    new Promise<Msg>((resolve) => {
      const cb = (m: Msg) => {
        topic.unsubscribe(cb);
        resolve(m);
      };
      topic.subscribe(cb);
    }),
    5000,
    `a message on ${name}`,
  );
}

function call(name: string, serviceType: string, args: Msg): Promise<Msg> {
  return withTimeout(new Promise<Msg>((resolve, reject) => new Service<Msg, Msg>({ ros, name, serviceType }).callService(args, resolve, (e) => reject(new Error(e)))), 10_000, name);
}

const bytes = (d: unknown): Buffer => (typeof d === 'string' ? Buffer.from(d, 'base64') : Buffer.from(d as Uint8Array));

describe('the simulator robot over roslib', () => {
  it('publishes camera images that decode to the simulator bytes, in JSON, PNG and CBOR', async () => {
    // One connection per compression: like rosbridge, a client has one subscription per topic.
    const conns = await Promise.all([0, 1].map(() => openRos(bridge.url)));
    const [json, png, cbor, depth] = await Promise.all([
      next('/front/color/image_raw', 'sensor_msgs/Image'),
      next('/front/color/image_raw', 'sensor_msgs/Image', { compression: 'png' }, conns[0]),
      next('/front/color/image_raw', 'sensor_msgs/Image', { compression: 'cbor' }, conns[1]),
      next('/front/depth/image_raw', 'sensor_msgs/Image', { compression: 'cbor' }),
    ]);
    for (const c of conns) c.close();
    const frame = bridge.env.observe().cameras.find((c) => c.name === 'front')!;
    expect(typeof json.data).toBe('string');
    expect(cbor.data).toBeInstanceOf(Uint8Array);
    for (const m of [json, png, cbor]) {
      expect(m).toMatchObject({ width: 128, height: 128, encoding: 'rgb8', step: 384, is_bigendian: 0 });
      expect((m.header as Msg).frame_id).toBe('front_optical_frame');
      expect(bytes(m.data).equals(Buffer.from(frame.rgb))).toBe(true);
    }
    expect(depth).toMatchObject({ encoding: '32FC1', step: 512 });
    expect(bytes(depth.data).equals(Buffer.from(frame.depthMetres.buffer, frame.depthMetres.byteOffset, frame.depthMetres.byteLength))).toBe(true);
  });

  it('publishes CameraInfo, tf (camera poses included), joint states, gripper state and the goal', async () => {
    const [info, tfStatic, tf, joints, gripper, goal] = await Promise.all([
      next('/wrist/camera_info', 'sensor_msgs/CameraInfo'),
      next('/tf_static', 'tf2_msgs/TFMessage'),
      next('/tf', 'tf2_msgs/TFMessage'),
      next('/joint_states', 'sensor_msgs/JointState'),
      next('/peract/gripper_state', 'peract_msgs/GripperState'),
      next('/peract/goal', 'std_msgs/String'),
    ]);
    const frame = bridge.env.observe().cameras.find((c) => c.name === 'wrist')!;
    expect(info.k).toEqual([frame.intrinsics.fx, 0, frame.intrinsics.cx, 0, frame.intrinsics.fy, frame.intrinsics.cy, 0, 0, 1]);
    const staticFrames = (tfStatic.transforms as Msg[]).map((t) => t.child_frame_id);
    expect(staticFrames).toEqual(['front_optical_frame', 'left_shoulder_optical_frame', 'right_shoulder_optical_frame', 'wrist_optical_frame']);
    const dynamic = (tf.transforms as Msg[]).map((t) => t.child_frame_id);
    expect(dynamic).toEqual(expect.arrayContaining(['panda_link0', 'panda_hand_tcp', 'panda_leftfinger', 'table']));
    expect((joints.name as string[]).length).toBe(9);
    expect(joints.position as number[]).toHaveLength(9);
    expect(gripper.open).toBe(true);
    expect((gripper.finger_widths as number[])[0]).toBeGreaterThan(0.03);
    expect(goal.data).toBe(bridge.robot.currentGoal);
  });

  it('round-trips client publications of each message type, checked and canonicalised', async () => {
    const image = { header: { stamp: { secs: 5, nsecs: 7 }, frame_id: 'cam' }, height: 2, width: 2, encoding: 'bgr8', is_bigendian: 0, step: 6, data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).toString('base64') };
    const cases: [string, string, Msg, (m: Msg) => void][] = [
      ['/rt/string', 'std_msgs/String', { data: 'hello' }, (m) => expect(m.data).toBe('hello')],
      ['/rt/bool', 'std_msgs/Bool', { data: true }, (m) => expect(m.data).toBe(true)],
      ['/rt/pose', 'geometry_msgs/PoseStamped', { header: { frame_id: 'world' }, pose: { position: { x: 1, y: 2, z: 3 } } }, (m) => expect((m.pose as Msg).orientation).toEqual({ x: 0, y: 0, z: 0, w: 1 })],
      ['/rt/tf', 'tf2_msgs/TFMessage', { transforms: [{ header: { frame_id: 'a' }, child_frame_id: 'b', transform: { translation: { x: 1, y: 0, z: 0 } } }] }, (m) => expect((m.transforms as Msg[])[0].child_frame_id).toBe('b')],
      ['/rt/image', 'sensor_msgs/Image', image, (m) => {
        expect(bytes(m.data)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
        expect((m.header as Msg).stamp).toEqual({ sec: 5, nanosec: 7 });
      }],
      ['/rt/info', 'sensor_msgs/msg/CameraInfo', { K: [1, 0, 2, 0, 3, 4, 0, 0, 1], D: [0.1] }, (m) => {
        expect(m.k).toEqual([1, 0, 2, 0, 3, 4, 0, 0, 1]);
        expect(m.d).toEqual([0.1]);
      }],
      ['/rt/joints', 'sensor_msgs/JointState', { name: ['j'], position: [0.5] }, (m) => expect(m.position).toEqual([0.5])],
      ['/rt/command', 'peract_msgs/Command', { gripper_open: true }, (m) => expect(m.ignore_collisions).toBe(false)],
    ];
    for (const [name, type, msg, check] of cases) {
      for (const compression of ['none', 'cbor'] as const) {
        const got = next(name, type, { compression });
        // Give the subscribe a moment to reach the server before publishing.
        await new Promise((r) => setTimeout(r, 20));
        new Topic<Msg>({ ros, name, messageType: type }).publish(msg);
        check(await got);
      }
    }
  });

  it('answers services: reset, success, execute, and failures with reasons', async () => {
    const reset = await call('/peract/reset', 'peract_msgs/Reset', { task: 'reach_target', variation: 0, seed: 1 });
    expect(reset).toMatchObject({ success: true, variation: 0 });
    expect(String(reset.goal)).toMatch(/reach/);
    const goal = await next('/peract/goal', 'std_msgs/String');
    expect(goal.data).toBe(reset.goal);
    expect(await call('/peract/success', 'std_srvs/Trigger', {})).toMatchObject({ success: false });
    const [step] = bridge.env.expert();
    const a = step.action;
    const pose = { position: { x: a.positionMetres[0], y: a.positionMetres[1], z: a.positionMetres[2] }, orientation: { x: a.quaternion[0], y: a.quaternion[1], z: a.quaternion[2], w: a.quaternion[3] } };
    const wrongFrame = await call('/peract/execute', 'peract_msgs/Execute', { target: { header: { frame_id: 'camera' }, pose }, gripper_open: true });
    expect(wrongFrame).toMatchObject({ success: false });
    expect(String(wrongFrame.message)).toMatch(/frame_id/);
    const done = await call('/peract/execute', 'peract_msgs/Execute', { target: { header: { frame_id: 'world' }, pose }, gripper_open: a.gripperOpen, ignore_collisions: a.ignoreCollisions });
    expect(done).toMatchObject({ success: true, task_success: true, done: true, step: 1 });
    expect(await call('/peract/success', 'std_srvs/Trigger', {})).toMatchObject({ success: true });
    await expect(call('/peract/reset', 'peract_msgs/Reset', { task: 'no_such_task' })).resolves.toMatchObject({ success: false });
    await expect(call('/peract/nothing', 'std_srvs/Trigger', {})).rejects.toThrow(/unknown service/);
    await expect(call('/peract/reset', 'peract_msgs/Reset', { task: 3 })).rejects.toThrow(/task: must be a string/);
    const act = await call('/peract/act', 'peract_msgs/Act', { goal: 'x' });
    expect(act).toMatchObject({ success: false });
    expect(String(act.message)).toMatch(/no agent/);
  });

  it('honours throttle_rate and queue_length', async () => {
    bridge.server.defineTopic('/test/counter', 'std_msgs/Int32');
    const received: Record<string, number[]> = { plain: [], throttled: [], queued: [], queuedThrottled: [] };
    const subs: [keyof typeof received, { throttle_rate?: number; queue_length?: number }][] = [
      ['plain', {}],
      ['throttled', { throttle_rate: 5000 }],
      ['queued', { queue_length: 3 }],
      ['queuedThrottled', { queue_length: 2, throttle_rate: 100 }],
    ];
    // Each subscriber on its own connection: rosbridge keeps one subscription per topic and client.
    const conns = await Promise.all(subs.map(() => openRos(bridge.url)));
    subs.forEach(([key, opts], i) => new Topic<Msg>({ ros: conns[i], name: '/test/counter', messageType: 'std_msgs/Int32', ...opts }).subscribe((m) => received[key].push(m.data as number)));
    await withTimeout((async () => {
      while (!bridge.server.hasSubscribers('/test/counter') || bridge.server.stats().subscriptions < 4 + 0) await new Promise((r) => setTimeout(r, 10));
    })(), 3000, 'subscriptions');
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 20; i++) bridge.server.publish('/test/counter', { data: i });
    await new Promise((r) => setTimeout(r, 400));
    for (const c of conns) c.close();
    expect(received.plain).toEqual([...Array(20).keys()]);
    expect(received.throttled).toEqual([0]);
    expect(received.queued).toEqual([17, 18, 19]);
    expect(received.queuedThrottled).toEqual([18, 19]);
  });

  it('splits long messages into fragments when asked (fragment_size)', async () => {
    const ws = new WebSocket(bridge.url);
    await new Promise((r) => ws.once('open', r));
    const parts: Msg[] = [];
    const whole = new Promise<Msg>((resolve) => {
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as Msg;
        if (m.op !== 'fragment') return;
        parts[m.num as number] = m;
        if (parts.filter(Boolean).length === m.total) resolve(JSON.parse(parts.map((p) => p.data).join('')) as Msg);
      });
    });
    ws.send(JSON.stringify({ op: 'subscribe', topic: '/front/color/image_raw', fragment_size: 10_000 }));
    const m = await withTimeout(whole, 5000, 'fragments');
    ws.close();
    expect(parts.length).toBeGreaterThan(5);
    expect(m.op).toBe('publish');
    expect(bytes((m.msg as Msg).data)).toHaveLength(128 * 128 * 3);
  });
});
