import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Encoder } from 'cbor-x';
import { BridgeServer, startSimBridge, type SimBridge } from '../../bridge/index.js';
import { Topic, type RosLike } from '../../bridge/ros/roslib.js';
import { serveToken } from '../../bin/commands/serve.js';
import { SimEnv } from '../../sim/index.js';
import { callService, openRos, rawClient, topicRate, waitUntil, withTimeout } from './helpers.js';

/**
 * Each way `peract serve` was broken from outside, one test per break: a command that cannot be
 * executed, racing resets, encoded path escapes, lock-out without the token, floods, and the
 * smaller replies. The mixed hostile load runs in hostile.test.ts.
 */

type Msg = Record<string, unknown>;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

let bridge: SimBridge;
let ros: RosLike;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  bridge = await startSimBridge({ port: 0, task: 'reach_target', seed: 0, rateHz: 20, checkOutgoing: true });
  ros = await openRos(bridge.url);
});

afterAll(async () => {
  ros?.close();
  await bridge?.close();
  process.off('unhandledRejection', onUnhandled);
});

const cbor = new Encoder({ useRecords: false } as ConstructorParameters<typeof Encoder>[0]);
const hugePose = { position: { x: 0.3, y: 0, z: 0.3 }, orientation: { x: 1e308, y: 1e308, z: 1e308, w: 1e308 } };

function nextMessage(topic: string, type: string): Promise<Msg> {
  const sub = new Topic<Msg>({ ros, name: topic, messageType: type });
  return withTimeout(new Promise<Msg>((resolve) => {
    const cb = (m: Msg) => {
      sub.unsubscribe(cb);
      resolve(m);
    };
    sub.subscribe(cb);
  }), 10_000, `a message on ${topic}`);
}

describe('a command that cannot be executed is answered, never a crash', () => {
  it('a Command whose quaternion norm overflows gets a failed step_result naming the field', async () => {
    const result = nextMessage('/peract/step_result', 'peract_msgs/StepResult');
    await new Promise((r) => setTimeout(r, 50));
    new Topic<Msg>({ ros, name: '/peract/command', messageType: 'peract_msgs/Command' }).publish({ target: { header: { frame_id: 'world' }, pose: hugePose }, gripper_open: true });
    const r = await result;
    expect(r).toMatchObject({ success: false });
    expect(String(r.message)).toMatch(/^target\.pose\.orientation: must have a finite norm, got Infinity/);
    // The documented StepResult fields, no more.
    expect(Object.keys(r).sort()).toEqual(['done', 'header', 'message', 'step', 'success', 'task_success']);
    // The same through the service, and the server still works.
    const e = await callService(ros, '/peract/execute', 'peract_msgs/Execute', { target: { header: { frame_id: 'world' }, pose: hugePose } });
    expect(e).toMatchObject({ success: false, refused: false });
    expect(String(e.message)).toMatch(/^target\.pose\.orientation: must have a finite norm/);
    expect(await callService(ros, '/peract/success', 'std_srvs/Trigger', {})).toMatchObject({ success: false });
    expect(unhandled).toEqual([]);
    expect(bridge.server.stats().outgoingMismatches).toEqual([]);
  });

  it('a flood of commands is bounded: the ones past the queue are answered busy at once', async () => {
    const results: Msg[] = [];
    const sub = new Topic<Msg>({ ros, name: '/peract/step_result', messageType: 'peract_msgs/StepResult' });
    const cb = (m: Msg) => void results.push(m);
    sub.subscribe(cb);
    await new Promise((r) => setTimeout(r, 50));
    const pose = bridge.env.observe().gripperPose;
    const target = { header: { frame_id: 'world' }, pose: { position: { x: pose.positionMetres[0], y: pose.positionMetres[1], z: pose.positionMetres[2] }, orientation: { x: pose.quaternion[0], y: pose.quaternion[1], z: pose.quaternion[2], w: pose.quaternion[3] } } };
    const c = await rawClient(bridge.url);
    for (let i = 0; i < 30; i++) c.ws.send(JSON.stringify({ op: 'publish', topic: '/peract/command', msg: { target, gripper_open: true } }));
    await waitUntil(() => results.length >= 30, 20_000, '30 step results');
    sub.unsubscribe(cb);
    c.ws.close();
    const busy = results.filter((r) => /^busy: 8 commands are waiting/.test(String(r.message)));
    expect(busy.length).toBeGreaterThan(0);
    expect(results.length - busy.length).toBeLessThanOrEqual(30);
    await callService(ros, '/peract/reset', 'peract_msgs/Reset', { task: 'reach_target', variation: -1, seed: 0 });
  });

  it('the episode limit is named when it ends the episode, not the last move\'s contact', async () => {
    await callService(ros, '/peract/reset', 'peract_msgs/Reset', { task: 'reach_target', variation: -1, seed: 0 });
    const limit = bridge.env.currentTask?.episodeLimit ?? 25;
    const pose = bridge.env.observe().gripperPose;
    const poseMsg = (p: number[]) => ({ header: { frame_id: 'world' }, pose: { position: { x: p[0], y: p[1], z: p[2] }, orientation: { x: pose.quaternion[0], y: pose.quaternion[1], z: pose.quaternion[2], w: pose.quaternion[3] } } });
    for (let k = 1; k < limit; k++) {
      const r = await callService(ros, '/peract/execute', 'peract_msgs/Execute', { target: poseMsg(pose.positionMetres), gripper_open: true });
      expect(r).toMatchObject({ done: false, step: k });
    }
    // Into the table, collisions ignored: a contact stops the move, and it is the last action.
    const last = await callService(ros, '/peract/execute', 'peract_msgs/Execute', { target: poseMsg([0.5, 0, -0.1]), gripper_open: true, ignore_collisions: true });
    expect(last).toMatchObject({ done: true, task_success: false, step: limit });
    expect(String(last.message)).toMatch(new RegExp(`^the episode reached its limit of ${limit} actions \\(the last move: execution: the gripper was blocked`));
    await callService(ros, '/peract/reset', 'peract_msgs/Reset', { task: 'reach_target', variation: -1, seed: 0 });
  });
});

describe('resets in flight answer with their own result', () => {
  it('two concurrent resets each carry their own goal (5 of 5 tries)', async () => {
    const local = new SimEnv();
    const requests = [{ task: 'pick_and_lift', seed: 1 }, { task: 'reach_target', seed: 2 }, { task: 'push_buttons', seed: 3 }];
    const expected: string[] = [];
    for (const r of requests) expected.push((await local.reset(r)).goal);
    await local.close();
    expect(new Set(expected).size).toBe(3);
    for (let attempt = 0; attempt < 5; attempt++) {
      const order = attempt % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
      const answers = await Promise.all(order.map((i) => callService(ros, '/peract/reset', 'peract_msgs/Reset', { ...requests[i], variation: -1 })));
      answers.forEach((a, k) => expect(a).toMatchObject({ success: true, goal: expected[order[k]] }));
    }
    await callService(ros, '/peract/reset', 'peract_msgs/Reset', { task: 'reach_target', variation: -1, seed: 0 });
  });
});

describe('viewer files: paths are checked after decoding', () => {
  function get(path: string): Promise<{ status: number; body: string }> {
    const port = bridge.server.port;
    // node:http sends the path as written (fetch would normalise it first).
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses encoded escapes out of a vendor package or the viewer folder', async () => {
    for (const path of [
      '/vendor/three%2f..%2f.package-lock.json',
      '/vendor/three%2f..%2fws%2fpackage.json',
      '/vendor/three%2F..%2F..%2Fpackage.json',
      '/vendor/three/..%2f..%2fpackage.json',
      '/vendor/three/%2e%2e/ws/package.json',
      '/viewer/..%2f..%2fpackage.json',
      '/viewer/%2e%2e/%2e%2e/package.json',
      '/vendor/three%5c..%5cws%5cpackage.json',
      '/vendor/three/package.json%00.js',
      '/vendor/three//package.json',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
    }
    expect((await get('/vendor/three/%E0%A4%A')).status).toBe(400);
  });

  it('still serves the files the page needs', async () => {
    expect((await get('/vendor/three/build/three.module.js')).status).toBe(200);
    expect((await get('/vendor/three/package.json')).status).toBe(200);
    expect((await get('/viewer/viewer.js')).status).toBe(200);
    expect((await get('/')).body).toMatch(/importmap/);
  });
});

describe('authentication without lock-out', () => {
  let server: BridgeServer;
  beforeAll(async () => {
    server = await BridgeServer.start({ port: 0, token: 'tok', maxClients: 4, authTimeoutMs: 400 });
    server.defineTopic('/secret', 'std_msgs/String', { latched: true });
    server.publish('/secret', { data: 'hidden' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('idle unauthenticated sockets cannot keep a client with the token out', async () => {
    // Far more idle sockets than clients allowed, all from this address.
    const idle = await Promise.all(Array.from({ length: 40 }, () => rawClient(server.url)));
    expect(server.stats().pendingAuth).toBeLessThanOrEqual(8);
    const good = await openRos(server.url, 'tok');
    const r = await callService(good, '/rosapi/topics', 'rosapi/Topics', {}, 3000);
    expect(r.topics).toContain('/secret');
    good.close();
    const codes = await Promise.all(idle.slice(0, 30).map((c) => withTimeout(c.closed, 3000, 'eviction')));
    expect(codes.every((c) => c.code === 1013)).toBe(true);
    expect(server.stats().evictions).toBeGreaterThanOrEqual(32);
    for (const c of idle) c.ws.terminate();
  });

  it('an idle socket is closed after the (short) authentication timeout', async () => {
    const c = await rawClient(server.url);
    const t0 = performance.now();
    const closed = await withTimeout(c.closed, 3000, 'auth timeout');
    expect(closed.code).toBe(4001);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(c.ops.find((o) => o.op === 'status')?.msg).toMatch(/authentication timed out/);
  });

  it('a bad first frame closes an unauthenticated connection', async () => {
    for (const frame of ['{"op": "auth", ', '[1, 2]', JSON.stringify({ op: 'subscribe', topic: '/secret' })]) {
      const c = await rawClient(server.url);
      c.ws.send(frame);
      const closed = await withTimeout(c.closed, 3000, 'refusal');
      expect(closed.code, frame).toBe(4001);
      expect(c.ops.some((o) => o.op === 'publish')).toBe(false);
    }
    const big = await rawClient(server.url);
    big.ws.send(JSON.stringify({ op: 'auth', mac: 'x'.repeat(10_000) }));
    expect((await withTimeout(big.closed, 3000, 'refusal')).code).toBe(4001);
    expect(big.ops[0]?.msg).toMatch(/authenticate first: a first message of \d+ bytes/);
    // A deep or huge first frame is not parsed: closed at once.
    const deep = await rawClient(server.url);
    const t0 = performance.now();
    deep.ws.send('['.repeat(2_000_000));
    expect((await withTimeout(deep.closed, 3000, 'refusal')).code).toBe(4001);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('authenticated clients beyond maxClients are refused with 1013; unauthenticated ones never count', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => openRos(server.url, 'tok')));
    await waitUntil(() => server.stats().clients === 4, 3000, 'four clients');
    const extra = await rawClient(server.url);
    extra.ws.send(JSON.stringify({ op: 'auth', mac: 'tok' }));
    const closed = await withTimeout(extra.closed, 3000, 'refusal');
    expect(closed.code).toBe(1013);
    for (const c of clients) c.close();
  });

  it('an empty token is an error, never "no authentication"', async () => {
    expect(() => serveToken('', undefined)).toThrow(/^--token: must not be empty/);
    expect(() => serveToken(undefined, '')).toThrow(/^PERACT_BRIDGE_TOKEN: is set but empty/);
    expect(serveToken(undefined, undefined)).toBeUndefined();
    expect(serveToken('t', '')).toBe('t');
    await expect(BridgeServer.start({ port: 0, token: '' })).rejects.toThrow(/^options\.token: must be a non-empty string/);
  });
});

describe('floods are served fairly and in bounded memory', () => {
  it('fragment_size below the floor is raised (with a warning) and a good client keeps its rate', async () => {
    const c = await rawClient(bridge.url);
    for (const cam of ['front', 'left_shoulder', 'right_shoulder', 'wrist']) {
      for (const kind of ['color', 'depth']) c.ws.send(JSON.stringify({ op: 'subscribe', topic: `/${cam}/${kind}/image_raw`, fragment_size: 1, id: `${cam}-${kind}` }));
    }
    await waitUntil(() => c.ops.filter((o) => o.op === 'fragment').length > 200, 5000, 'fragments');
    const warning = c.ops.find((o) => o.op === 'status');
    expect(warning).toMatchObject({ level: 'warning' });
    expect(String(warning?.msg)).toMatch(/fragment_size 1 raised to 1024/);
    const fragments = c.ops.filter((o) => o.op === 'fragment');
    expect(fragments.every((f) => String(f.data).length <= 1024)).toBe(true);
    // 128x128 images: under 120 fragments each.
    expect(Math.max(...fragments.map((f) => Number(f.total)))).toBeLessThan(120);
    const rate = await topicRate(ros, '/joint_states', 'sensor_msgs/JointState', 1000);
    c.ws.close();
    expect(rate).toBeGreaterThan(20 * 0.7);
  });

  it('queue_length 1000 with a day-long throttle_rate holds at most the queued-bytes budget, released on leaving', async () => {
    const own = await startSimBridge({ port: 0, task: 'reach_target', seed: 0, rateHz: 50, viewer: false, maxQueuedBytes: 2 * 1024 * 1024 });
    try {
      const c = await rawClient(own.url);
      for (const cam of ['front', 'left_shoulder', 'right_shoulder', 'wrist']) {
        for (const kind of ['color', 'depth']) c.ws.send(JSON.stringify({ op: 'subscribe', topic: `/${cam}/${kind}/image_raw`, queue_length: 1000, throttle_rate: 3_600_000 }));
      }
      await waitUntil(() => own.server.stats().droppedMessages > 50, 10_000, 'the budget to fill');
      const held = own.server.stats().queuedBytes;
      expect(held).toBeGreaterThan(1024 * 1024);
      expect(held).toBeLessThanOrEqual(2 * 1024 * 1024);
      c.ws.close();
      await waitUntil(() => own.server.stats().clients === 0, 3000, 'the client to leave');
      expect(own.server.stats().queuedBytes).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('a 6 MB deeply nested array is refused before it is parsed, in milliseconds', async () => {
    const c = await rawClient(bridge.url);
    const t0 = performance.now();
    c.ws.send(`{"op":"publish","topic":"/x","msg":${'['.repeat(3_000_000)}${']'.repeat(3_000_000)}}`);
    await waitUntil(() => c.ops.some((o) => o.op === 'status'), 3000, 'the refusal');
    const ms = performance.now() - t0;
    const status = c.ops.find((o) => o.op === 'status');
    expect(String(status?.msg)).toMatch(/nested deeper than 32 levels/);
    expect(ms).toBeLessThan(500);
    // The same in CBOR.
    c.ws.send(Buffer.concat([Buffer.from([0xa1, 0x62, 0x6f, 0x70]), Buffer.alloc(100_000, 0x81), Buffer.from([0x01])]), { binary: true });
    await waitUntil(() => c.ops.filter((o) => o.op === 'status').length >= 2, 3000, 'the CBOR refusal');
    expect(String(c.ops.filter((o) => o.op === 'status')[1].msg)).toMatch(/nested deeper than 32 levels/);
    c.ws.close();
  });

  it('a client past its input pace is paused, not served ahead of others', async () => {
    const own = await BridgeServer.start({ port: 0, inboundMessagesPerSecond: 100 });
    try {
      const c = await rawClient(own.url);
      for (let i = 0; i < 1000; i++) c.ws.send(JSON.stringify({ op: 'bogus', id: `b${i}` }));
      await new Promise((r) => setTimeout(r, 300));
      // 200 of burst plus about 100 a second: far fewer than 1000 answered so far.
      const answered = c.ops.length;
      expect(answered).toBeGreaterThanOrEqual(200);
      expect(answered).toBeLessThan(700);
      expect(own.stats().inputPauses).toBeGreaterThan(0);
      c.ws.close();
    } finally {
      await own.close();
    }
  });

  it('calls in flight are capped per client', async () => {
    const c = await rawClient(bridge.url);
    for (let i = 0; i < 40; i++) c.ws.send(JSON.stringify({ op: 'call_service', service: '/peract/reset', args: { task: 'reach_target', variation: -1, seed: i }, id: `r${i}` }));
    await waitUntil(() => c.ops.filter((o) => o.op === 'service_response').length >= 40, 30_000, '40 answers');
    const refused = c.ops.filter((o) => o.op === 'service_response' && o.result === false);
    expect(refused.length).toBeGreaterThan(0);
    expect(String(refused[0].values)).toMatch(/16 calls of this client are still unanswered/);
    c.ws.close();
  });
});

describe('smaller replies', () => {
  it('a CBOR BigInt gets a reply naming the field, not an internal error', async () => {
    const c = await rawClient(bridge.url);
    c.ws.send(cbor.encode({ op: 'subscribe', topic: '/tf', throttle_rate: 2n ** 64n, id: 'big1' }), { binary: true });
    c.ws.send(cbor.encode({ op: 'advertise', topic: '/big', type: 'std_msgs/String', id: 'big2' }), { binary: true });
    c.ws.send(cbor.encode({ op: 'publish', topic: '/big', msg: { data: 2n ** 70n }, id: 'big3' }), { binary: true });
    c.ws.send(cbor.encode({ op: 'publish', topic: '/peract/command', msg: { target: { header: { stamp: { sec: 2n ** 63n } } } }, id: 'big4' }), { binary: true });
    await waitUntil(() => c.ops.filter((o) => o.op === 'status').length >= 3, 3000, 'three replies');
    const byId = (id: string) => String(c.ops.find((o) => o.id === id)?.msg);
    expect(byId('big1')).toMatch(/"throttle_rate" must be a number .* got 18446744073709551616n/);
    expect(byId('big3')).toMatch(/data: must be a string, got 1180591620717411303424n/);
    expect(byId('big4')).toMatch(/target\.header\.stamp\.sec: must be an integer/);
    expect(c.ops.some((o) => /internal error/.test(String(o.msg)))).toBe(false);
    c.ws.close();
  });

  it("roslib's getServices, getTopicType and getServiceType are answered (rosapi)", async () => {
    const services = await withTimeout(new Promise<string[]>((resolve, reject) => (ros as unknown as { getServices(cb: (s: string[]) => void, err: (e: string) => void): void }).getServices(resolve, reject)), 5000, 'getServices');
    expect(services).toEqual(expect.arrayContaining(['/peract/reset', '/peract/execute', '/peract/act', '/rosapi/services', '/rosapi/topics']));
    expect(await callService(ros, '/rosapi/topic_type', 'rosapi/TopicType', { topic: '/joint_states' })).toEqual({ type: 'sensor_msgs/JointState' });
    expect(await callService(ros, '/rosapi/service_type', 'rosapi/ServiceType', { service: '/peract/reset' })).toEqual({ type: 'peract_msgs/Reset' });
    expect((await callService(ros, '/rosapi/topics_for_type', 'rosapi/TopicsForType', { type: 'sensor_msgs/msg/Image' })).topics).toHaveLength(8);
    await expect(callService(ros, '/rosapi/topic_type', 'rosapi/TopicType', { topic: '' })).rejects.toThrow(/^topic: must be a non-empty name/);
  });
});
