import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Encoder } from 'cbor-x';
import { Rng } from '../../core/index.js';
import { BridgeServer, startSimBridge, type SimBridge } from '../../bridge/index.js';
import { Service } from '../../bridge/ros/roslib.js';
import { openRos, withTimeout } from './helpers.js';

type Msg = Record<string, unknown>;

let bridge: SimBridge;

beforeAll(async () => {
  bridge = await startSimBridge({ port: 0, task: 'reach_target', seed: 0, viewer: false, maxMessageBytes: 256 * 1024, maxBufferedBytes: 1024 * 1024 });
});

afterAll(async () => {
  await bridge?.close();
});

/** A raw client that collects every op it receives. */
async function rawClient(url: string): Promise<{ ws: WebSocket; ops: Msg[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url);
  const ops: Msg[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) ops.push(JSON.parse(String(data)) as Msg);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, ops, closed };
}

async function statusFor(url: string, frame: string | Buffer, binary = false): Promise<Msg> {
  const c = await rawClient(url);
  c.ws.send(frame, { binary });
  await withTimeout((async () => {
    while (!c.ops.some((o) => o.op === 'status')) await new Promise((r) => setTimeout(r, 5));
  })(), 3000, 'a status reply');
  c.ws.close();
  return c.ops.find((o) => o.op === 'status')!;
}

describe('bad input gets a status op naming the problem', () => {
  const cases: [string, string | Buffer, RegExp, boolean?][] = [
    ['bad JSON', '{"op": "publish", ', /not valid JSON/],
    ['not an object', '[1, 2]', /JSON object with an "op"/],
    ['unknown op', JSON.stringify({ op: 'explode', id: 'x1' }), /unknown op "explode"/],
    ['unknown topic', JSON.stringify({ op: 'publish', topic: '/nowhere', msg: {} }), /unknown topic \/nowhere/],
    ['unknown type', JSON.stringify({ op: 'advertise', topic: '/a', type: 'foo_msgs/Bar' }), /unknown message type foo_msgs\/Bar/],
    ['bad topic name', JSON.stringify({ op: 'subscribe', topic: '../../etc' }), /not a valid ROS name/],
    ['mismatched message', JSON.stringify({ op: 'publish', topic: '/peract/command', msg: { target: { pose: { position: { x: 'one' } } } } }), /target\.pose\.position\.x: must be a number/],
    ['unknown field', JSON.stringify({ op: 'publish', topic: '/peract/command', msg: { speed: 3 } }), /speed: no such field/],
    ['publishing on a sensor topic', JSON.stringify({ op: 'publish', topic: '/joint_states', msg: {} }), /published by the simulator/],
    ['type clash', JSON.stringify({ op: 'subscribe', topic: '/tf', type: 'std_msgs/String' }), /has type tf2_msgs\/TFMessage/],
    ['bad throttle', JSON.stringify({ op: 'subscribe', topic: '/tf', throttle_rate: -1 }), /throttle_rate/],
    ['bad compression', JSON.stringify({ op: 'subscribe', topic: '/tf', compression: 'zip' }), /compression must be/],
    ['over-size frame', JSON.stringify({ op: 'publish', topic: '/x', msg: { data: 'a'.repeat(300 * 1024) } }), /exceeds the limit of 262144 bytes/],
    ['bad CBOR', Buffer.from([0xff, 0xfe, 0x01]), /not valid CBOR/, true],
  ];
  for (const [label, frame, pattern, binary] of cases) {
    it(label, async () => {
      const status = await statusFor(bridge.url, frame, binary);
      expect(status.level).toBe('error');
      expect(String(status.msg)).toMatch(pattern);
    });
  }

  it('echoes the id of the rejected message', async () => {
    const status = await statusFor(bridge.url, JSON.stringify({ op: 'unsubscribe', topic: '/tf', id: 'mine-7' }));
    expect(status).toMatchObject({ id: 'mine-7', level: 'error' });
  });

  it('accepts CBOR frames from clients', async () => {
    const c = await rawClient(bridge.url);
    c.ws.send(new Encoder({ useRecords: false } as never).encode({ op: 'subscribe', topic: '/peract/goal' }), { binary: true });
    await withTimeout((async () => {
      while (!c.ops.some((o) => o.op === 'publish')) await new Promise((r) => setTimeout(r, 5));
    })(), 3000, 'the latched goal');
    c.ws.close();
    expect(c.ops.find((o) => o.op === 'publish')).toMatchObject({ topic: '/peract/goal', msg: { data: bridge.robot.currentGoal } });
  });
});

describe('fuzzing', () => {
  it('answers thousands of random messages over several connections, stays up and bounded', async () => {
    const rng = new Rng(1234);
    const ops = ['publish', 'subscribe', 'unsubscribe', 'advertise', 'unadvertise', 'call_service', 'service_response', 'fragment', 'advertise_service', 'auth', 'bogus'];
    const topics = ['/tf', '/peract/command', '/fuzz/a', '/fuzz/b', 'rel', '', '/x/../y', '/front/color/image_raw'];
    const types = ['std_msgs/String', 'sensor_msgs/Image', 'peract_msgs/Command', 'nope/Nope', '', 'std_srvs/Trigger'];
    const values = (): unknown => {
      const k = rng.int(0, 7);
      return [null, rng.int(-5, 5), 'text', [1, 'a', {}], { x: 1 }, true, { data: 'x' }, 1e308][k];
    };
    const randomMessage = (): string | Buffer => {
      const kind = rng.int(0, 9);
      if (kind === 0) return Buffer.from(Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 255)));
      if (kind === 1) return JSON.stringify({ op: 'publish', topic: '/peract/command', msg: { target: values(), gripper_open: values() } }).slice(0, rng.int(1, 80));
      const m: Msg = { op: ops[rng.int(0, ops.length - 1)] };
      if (rng.int(0, 3) > 0) m.topic = topics[rng.int(0, topics.length - 1)];
      if (rng.int(0, 1)) m.type = types[rng.int(0, types.length - 1)];
      if (rng.int(0, 1)) m.service = ['/peract/success', '/nope', '/fuzz/srv'][rng.int(0, 2)];
      if (rng.int(0, 1)) m.msg = { data: values() };
      if (rng.int(0, 2) === 0) m.id = `id${rng.int(0, 20)}`;
      if (rng.int(0, 2) === 0) Object.assign(m, { num: rng.int(-1, 3), total: rng.int(0, 3), data: '{"op":' });
      if (rng.int(0, 3) === 0) m.throttle_rate = values();
      if (rng.int(0, 3) === 0) m.queue_length = values();
      return JSON.stringify(m);
    };
    const before = process.memoryUsage().heapUsed;
    const clients = await Promise.all([0, 1, 2, 3].map(() => rawClient(bridge.url)));
    const perClient = 1000;
    for (let i = 0; i < perClient; i++) {
      for (const c of clients) {
        const m = randomMessage();
        c.ws.send(m, { binary: typeof m !== 'string' });
      }
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    // Wait until the server has worked through everything (a ping is answered after the queue).
    await Promise.all(clients.map((c) => new Promise((r) => {
      c.ws.send(JSON.stringify({ op: 'bogus_end_marker', id: 'end' }));
      const t = setInterval(() => {
        if (c.ops.some((o) => o.id === 'end')) {
          clearInterval(t);
          r(null);
        }
      }, 10);
    })));
    const statuses = clients.reduce((n, c) => n + c.ops.filter((o) => o.op === 'status' && o.level === 'error').length, 0);
    const stats = bridge.server.stats();
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
    // Most random messages are wrong; each wrong one was answered.
    expect(statuses).toBeGreaterThan(perClient * 4 * 0.6);
    expect(stats.clients).toBe(4);
    expect(stats.topics).toBeLessThan(64);
    expect(stats.pendingFragmentSets).toBeLessThanOrEqual(4 * 8);
    const after = bridge.server.stats();
    expect(after.clients).toBe(0);
    expect(after.subscriptions).toBe(0);
    global.gc?.();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(100 * 1024 * 1024);

    // A normal client still works.
    const ros = await openRos(bridge.url);
    const r = await withTimeout(new Promise<Msg>((resolve, reject) => new Service<Msg, Msg>({ ros, name: '/peract/success', serviceType: 'std_srvs/Trigger' }).callService({}, resolve, (e) => reject(new Error(e)))), 5000, 'success service');
    ros.close();
    expect(r).toMatchObject({ success: false });
  });

  it('a client that never reads does not stall the simulator or other clients', async () => {
    const slow = new WebSocket(bridge.url);
    await new Promise((r) => slow.once('open', r));
    // Stop reading: the server's send buffer for this client fills up.
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    for (const cam of ['front', 'left_shoulder', 'right_shoulder', 'wrist']) {
      slow.send(JSON.stringify({ op: 'subscribe', topic: `/${cam}/color/image_raw` }));
      slow.send(JSON.stringify({ op: 'subscribe', topic: `/${cam}/depth/image_raw` }));
    }
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    for (let i = 0; i < 30; i++) bridge.robot.publishState();
    const publishMs = (performance.now() - t0) / 30;
    const ros = await openRos(bridge.url);
    const r = await withTimeout(new Promise<Msg>((resolve, reject) => new Service<Msg, Msg>({ ros, name: '/peract/success', serviceType: 'std_srvs/Trigger' }).callService({}, resolve, (e) => reject(new Error(e)))), 5000, 'success service beside a slow client');
    ros.close();
    expect(r).toMatchObject({ success: false });
    expect(bridge.server.stats().droppedMessages).toBeGreaterThan(0);
    expect(publishMs).toBeLessThan(100);
    slow.terminate();
  });
});

describe('with --token', () => {
  let server: BridgeServer;
  beforeAll(async () => {
    server = await BridgeServer.start({ port: 0, token: 's3cret' });
    server.defineTopic('/secret', 'std_msgs/String', { latched: true });
    server.publish('/secret', { data: 'hidden' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a client that does not authenticate first', async () => {
    const c = await rawClient(server.url);
    c.ws.send(JSON.stringify({ op: 'subscribe', topic: '/secret' }));
    const closed = await withTimeout(c.closed, 3000, 'refusal');
    expect(closed.code).toBe(4001);
    expect(c.ops.some((o) => o.op === 'publish')).toBe(false);
    expect(c.ops.find((o) => o.op === 'status')?.msg).toMatch(/authenticate first/);
  });

  it('refuses a wrong token', async () => {
    const c = await rawClient(server.url);
    c.ws.send(JSON.stringify({ op: 'auth', mac: 'guess' }));
    expect((await withTimeout(c.closed, 3000, 'refusal')).code).toBe(4001);
    expect(c.ops.find((o) => o.op === 'status')?.msg).toMatch(/wrong token/);
  });

  it('serves a client with the token (roslib authenticate)', async () => {
    const ros = await openRos(server.url, 's3cret');
    const { Topic } = await import('../../bridge/ros/roslib.js');
    const m = await withTimeout(new Promise<Msg>((resolve) => new Topic<Msg>({ ros, name: '/secret', messageType: 'std_msgs/String' }).subscribe(resolve)), 3000, 'latched message');
    ros.close();
    expect(m.data).toBe('hidden');
  });

  it('binds to loopback by default', () => {
    expect(server.host).toBe('127.0.0.1');
  });
});
