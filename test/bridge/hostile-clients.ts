// Over 400 lines: every class of hostile input the bridge was tried with, in one place, because
// the test (hostile.test.ts) and the benchmark (bench/bridge-hostile.bench.ts) run the same ones.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Encoder } from 'cbor-x';
import WebSocket from 'ws';
import type { RosLike } from '../../bridge/ros/roslib.js';
import { callService, openRos, topicRate, withTimeout } from './helpers.js';

/**
 * Hostile clients for `peract serve`, run as its own process (so its memory is its own): each
 * batch sends one class of bad input from a few clients, bounded in count, and counts frames
 * sent and received. `checkGoodClient` is what a well-behaved client sees afterwards.
 */

type Msg = Record<string, unknown>;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cbor = new Encoder({ useRecords: false } as ConstructorParameters<typeof Encoder>[0]);
const CAMERAS = ['front', 'left_shoulder', 'right_shoulder', 'wrist'];
const IMAGE_TOPICS = CAMERAS.flatMap((c) => [`/${c}/color/image_raw`, `/${c}/depth/image_raw`]);

export interface ServeProcess {
  url: string;
  token: string;
  rateHz: number;
  pid: number;
  /** Null while it runs; its exit code (or signal) once it has ended. */
  exit: { code: number | null; signal: string | null } | null;
  /** Every line it wrote on stderr (its log). */
  stderrLines: string[];
  rssBytes(): number;
  /**
   * A full garbage collection in the server (through the Node inspector, when started with
   * `inspect`), then its memory: what is live, not garbage a later collection would free.
   */
  collectGarbage(): Promise<{ rssBytes: number; heapUsedBytes: number; externalBytes: number }>;
  stop(): Promise<void>;
}

/** One Chrome DevTools protocol session with a Node process's inspector. */
async function inspectorSession(url: string): Promise<{ call(method: string, params?: Msg): Promise<Msg>; close(): void }> {
  const ws = new WebSocket(url);
  await new Promise((r, reject) => {
    ws.once('open', r);
    ws.once('error', reject);
  });
  let nextId = 1;
  const waiting = new Map<number, (m: Msg) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Msg;
    if (typeof m.id === 'number') waiting.get(m.id)?.(m);
  });
  return {
    call(method, params = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return withTimeout(new Promise<Msg>((r) => waiting.set(id, r)), 30_000, method);
    },
    close: () => ws.close(),
  };
}

/** `peract serve --no-agent` in a child process, with a token; resolves on its ready line. */
export async function startServeProcess(options: { token: string; rateHz: number; inspect?: boolean }): Promise<ServeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), '--import', 'tsx', 'bin/peract.ts', 'serve', '--port', '0', '--no-agent', '--task', 'reach_target', '--rate', String(options.rateHz), '--token', options.token],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERACT_BRIDGE_TOKEN: undefined } },
  );
  const stderrLines: string[] = [];
  child.stderr?.on('data', (d: Buffer) => {
    if (stderrLines.length < 100_000) stderrLines.push(...String(d).split('\n').filter(Boolean));
  });
  const proc: ServeProcess = {
    url: '',
    token: options.token,
    rateHz: options.rateHz,
    pid: child.pid ?? -1,
    exit: null,
    stderrLines,
    rssBytes: () => rssOf(child.pid ?? -1),
    async collectGarbage() {
      const line = stderrLines.find((l) => l.startsWith('Debugger listening on ws://'));
      if (!line) throw new Error('peract serve was not started with inspect');
      const session = await inspectorSession(line.slice('Debugger listening on '.length).trim());
      try {
        await session.call('HeapProfiler.collectGarbage');
        const r = await session.call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
        const m = JSON.parse(String(((r.result as Msg).result as Msg).value)) as { heapUsed: number; external: number };
        return { rssBytes: rssOf(child.pid ?? -1), heapUsedBytes: m.heapUsed, externalBytes: m.external };
      } finally {
        session.close();
      }
    },
    async stop() {
      if (proc.exit) return;
      const ended = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await withTimeout(ended, 10_000, 'peract serve to stop').catch(() => child.kill('SIGKILL'));
    },
  };
  child.once('exit', (code, signal) => (proc.exit = { code, signal }));
  const ready = await withTimeout(
    new Promise<Msg>((resolveReady, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += String(d);
        const line = out.split('\n')[0];
        if (out.includes('\n')) resolveReady(JSON.parse(line) as Msg);
      });
      child.once('exit', (code) => reject(new Error(`peract serve exited (${code}) before its ready line: ${stderrLines.slice(-20).join(' | ')}`)));
    }),
    60_000,
    'peract serve to start',
  );
  proc.url = String(ready.rosbridge);
  return proc;
}

/** Resident memory of a process (Linux /proc; `ps` elsewhere). */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) * 1024;
}

/** A raw client that counts what it sends and receives. */
export class Hostile {
  sent = 0;
  received = 0;
  readonly ops: Msg[] = [];
  closeCode: number | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.received++;
      if (!isBinary && this.ops.length < 20_000) {
        try {
          this.ops.push(JSON.parse(String(data)) as Msg);
        } catch {
          // a fragment's text is JSON; anything else is not ours to keep
        }
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', (code) => (this.closeCode = code));
  }

  static async open(url: string, token?: string): Promise<Hostile> {
    const ws = new WebSocket(url);
    const h = new Hostile(ws);
    await new Promise((r, reject) => {
      ws.once('open', r);
      ws.once('error', reject);
    });
    if (token !== undefined) h.send(JSON.stringify({ op: 'auth', mac: token }));
    return h;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: string | Uint8Array): void {
    if (!this.open) return;
    this.ws.send(frame, { binary: typeof frame !== 'string' });
    this.sent++;
  }

  /** Resolves once the server has worked through everything sent so far (or the socket closed). */
  async drained(ms = 15_000): Promise<void> {
    if (!this.open) return;
    const id = `end-${this.sent}`;
    this.send(JSON.stringify({ op: 'call_service', service: '/peract/success', id }));
    await withTimeout((async () => {
      while (this.open && !this.ops.some((o) => o.id === id)) await new Promise((r) => setTimeout(r, 10));
    })(), ms, 'the server to answer a hostile client');
  }

  close(): void {
    this.ws.terminate();
  }
}

export interface BatchResult {
  name: string;
  framesSent: number;
  framesReceived: number;
}

export interface GoodClientCheck {
  jointStatesPerSecond: number;
  callMs: number;
  /** A new client connecting and authenticating, then answered. */
  freshClientMs: number;
}

type Batch = (server: ServeProcess, scale: number) => Promise<Hostile[]>;

async function clients(url: string, token: string, n: number): Promise<Hostile[]> {
  return Promise.all(Array.from({ length: n }, () => Hostile.open(url, token)));
}

const WRONG_JSON: unknown[] = [null, true, -1, 1.5, 1e308, -1e308, '', 'x'.repeat(300), '../../etc', [], [1, 'a', {}], {}, { a: { b: { c: 1 } } }, { toString: 1, valueOf: 1 }];
const WRONG_CBOR_ONLY: unknown[] = [2n ** 64n, -(2n ** 70n), new Uint8Array([1, 2, 3]), new Float64Array([Number.NaN, Infinity])];

/** A valid op of each kind, and the fields to spoil one by one. */
const BASE_OPS: Msg[] = [
  { op: 'advertise', topic: '/hostile/str', type: 'std_msgs/String', id: 'a' },
  { op: 'publish', topic: '/hostile/str', msg: { data: 'x' }, id: 'p' },
  { op: 'subscribe', topic: '/peract/goal', type: 'std_msgs/String', throttle_rate: 0, queue_length: 0, fragment_size: 0, compression: 'none', id: 's' },
  { op: 'unsubscribe', topic: '/peract/goal', id: 's' },
  { op: 'unadvertise', topic: '/hostile/str', id: 'u' },
  { op: 'call_service', service: '/peract/success', args: {}, id: 'c' },
  { op: 'service_response', service: '/peract/success', values: {}, result: true, id: 'r' },
  { op: 'advertise_service', service: '/hostile/srv', type: 'std_srvs/Trigger', id: 'as' },
  { op: 'unadvertise_service', service: '/hostile/srv', id: 'us' },
  { op: 'fragment', id: 'f', data: '{"op":', num: 0, total: 2 },
  { op: 'set_level', level: 'error', id: 'l' },
  { op: 'status', level: 'error', msg: 'x', id: 'st' },
  { op: 'auth', mac: 'tok', client: '', dest: '', rand: '', t: 0, level: '', end: 0 },
];

export const BATCHES: Record<string, Batch> = {
  /** Invalid JSON, binary garbage, bad CBOR, JSON that is not an op. */
  async garbage({ url, token }, scale) {
    const cs = await clients(url, token, 4);
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const texts = ['{', '{"op":', 'null', '[]', '"op"', '{"op": 5}', '{"op": "explode"}', '\u0000\u0001', '{"op":"publish"', 'true', '1e999', '{"op":"subscribe","topic":}'];
    for (let i = 0; i < 500 * scale; i++) {
      for (const c of cs) {
        const k = rand(3);
        if (k === 0) c.send(texts[rand(texts.length)]);
        else if (k === 1) c.send(Uint8Array.from({ length: 1 + rand(64) }, () => rand(256)));
        else c.send(Uint8Array.from([0xbf, 0x62, 0x6f, 0x70, 0xff, 0x00]));
      }
    }
    return cs;
  },

  /** Every field of every op, one at a time, with each wrong type; JSON and CBOR (BigInts there). */
  async 'wrong-types'({ url, token }, scale) {
    const cs = await clients(url, token, 4);
    let k = 0;
    for (let round = 0; round < scale; round++) {
      for (const base of BASE_OPS) {
        for (const field of Object.keys(base)) {
          for (const value of [...WRONG_JSON, ...WRONG_CBOR_ONLY]) {
            const op = { ...base, [field]: value };
            const c = cs[k++ % cs.length];
            c.send(cbor.encode(op));
            if (!WRONG_CBOR_ONLY.includes(value)) c.send(JSON.stringify(op));
          }
        }
      }
    }
    return cs;
  },

  /** Over the message limit, deeply nested JSON and CBOR, and one frame over the WebSocket limit. */
  async oversized({ url, token }) {
    const cs = await clients(url, token, 3);
    const [a, b, c] = cs;
    a.send(JSON.stringify({ op: 'publish', topic: '/hostile/big', msg: { data: 'a'.repeat(9 * 1024 * 1024) } }));
    a.send(`{"op":"publish","topic":"/x","msg":${'['.repeat(3_000_000)}${']'.repeat(3_000_000)}}`);
    a.send(Buffer.concat([Buffer.from([0xa1, 0x62, 0x6f, 0x70]), Buffer.alloc(1_000_000, 0x81), Buffer.from([0x01])]));
    a.send(Uint8Array.from([0x9b, 0, 0, 0, 0, 0x10, 0, 0, 0]));
    b.send(JSON.stringify({ op: 'advertise', topic: '/hostile/big', type: 'std_msgs/String' }));
    b.send(JSON.stringify({ op: 'publish', topic: '/hostile/big', msg: { data: 'b'.repeat(7 * 1024 * 1024) } }));
    b.send(JSON.stringify({ op: 'publish', topic: '/hostile/big', msg: { data: Array.from({ length: 200_000 }, () => 1) } }));
    // 33 MiB: past the 32 MiB frame limit, the server closes this one with 1009.
    c.send(Buffer.alloc(33 * 1024 * 1024, 0x20).toString());
    return cs;
  },

  /** Fragments that do not add up: changed totals, bad numbers, too many sets, bad JSON, nesting. */
  async fragments({ url, token }, scale) {
    const cs = await clients(url, token, 2);
    const [a, b] = cs;
    for (let r = 0; r < 20 * scale; r++) {
      a.send(JSON.stringify({ op: 'fragment', id: `t${r}`, data: '{"op":', num: 0, total: 2 }));
      a.send(JSON.stringify({ op: 'fragment', id: `t${r}`, data: '"x"}', num: 1, total: 3 }));
      a.send(JSON.stringify({ op: 'fragment', id: `n${r}`, data: 'x', num: 5, total: 2 }));
      a.send(JSON.stringify({ op: 'fragment', id: `j${r}`, data: '{"op":', num: 0, total: 2 }));
      a.send(JSON.stringify({ op: 'fragment', id: `j${r}`, data: 'nope', num: 1, total: 2 }));
      const inner = JSON.stringify({ op: 'fragment', id: 'in', data: 'x', num: 0, total: 1 });
      a.send(JSON.stringify({ op: 'fragment', id: `f${r}`, data: inner, num: 0, total: 1 }));
      const deep = `{"op":"publish","topic":"/x","msg":${'['.repeat(100)}${']'.repeat(100)}}`;
      a.send(JSON.stringify({ op: 'fragment', id: `d${r}`, data: deep, num: 0, total: 1 }));
    }
    // One set past the size limit, then unfinished sets past their limit.
    const chunk = 'y'.repeat(1024 * 1024);
    for (let n = 0; n < 10; n++) b.send(JSON.stringify({ op: 'fragment', id: 'huge', data: chunk, num: n, total: 20 }));
    for (let s = 0; s < 20; s++) b.send(JSON.stringify({ op: 'fragment', id: `open${s}`, data: 'x', num: 0, total: 1000 }));
    return cs;
  },

  /** Subscribe storms on every topic with hostile options: fragment_size 1, queue_length 1000, PNG. */
  async 'subscribe-storm'({ url, token }, scale) {
    const cs = await clients(url, token, 3);
    const [a, b, c] = cs;
    const topics = [...IMAGE_TOPICS, '/tf', '/tf_static', '/joint_states', '/peract/scene', '/peract/goal', '/peract/gripper_state'];
    for (let r = 0; r < 30 * scale; r++) {
      for (const topic of topics) {
        a.send(JSON.stringify({ op: 'subscribe', topic, id: `s${r}`, compression: r % 3 === 0 ? 'png' : r % 3 === 1 ? 'cbor' : 'none' }));
        a.send(JSON.stringify({ op: 'unsubscribe', topic, id: `s${r}` }));
      }
    }
    for (const topic of IMAGE_TOPICS) b.send(JSON.stringify({ op: 'subscribe', topic, fragment_size: 1 }));
    for (const topic of IMAGE_TOPICS) c.send(JSON.stringify({ op: 'subscribe', topic, queue_length: 1000, throttle_rate: 3_600_000 }));
    // Let the subscriptions run for a while (the server renders and sends all of it).
    await new Promise((r) => setTimeout(r, 1500));
    return cs;
  },

  /** Clients that subscribe to every image and never read: cut off, not buffered without end. */
  async 'never-read'(server) {
    const { url, token } = server;
    const cs = await clients(url, token, 4);
    for (const c of cs) {
      for (const topic of IMAGE_TOPICS) c.send(JSON.stringify({ op: 'subscribe', topic }));
      // A status reply to each of these is queued too, unread.
      for (let i = 0; i < 200; i++) c.send(JSON.stringify({ op: 'bogus', id: `x${i}` }));
      (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    }
    // The server cuts them off once they have held a full send buffer unread for its stall
    // limit (it logs each); then they read again, and see the connection gone.
    const cutOffs = () => server.stderrLines.filter((l) => /disconnected: \d+ bytes unsent/.test(l)).length;
    const before = cutOffs();
    await withTimeout((async () => {
      while (cutOffs() < before + cs.length) await new Promise((r) => setTimeout(r, 50));
    })(), 15_000, 'the server to cut off clients that never read').catch(() => undefined);
    for (const c of cs) (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await withTimeout((async () => {
      while (cs.some((c) => c.closeCode === null)) await new Promise((r) => setTimeout(r, 50));
    })(), 5000, 'the stalled clients to see their connections closed').catch(() => undefined);
    return cs;
  },

  /** Connect/close storms, authenticated and not, and idle sockets that never authenticate. */
  async 'reconnect-storm'({ url, token }, scale) {
    const idle: Hostile[] = [];
    for (let i = 0; i < 40; i++) idle.push(await Hostile.open(url));
    const storm: Hostile[] = [];
    for (let i = 0; i < 60 * scale; i++) {
      const c = await Hostile.open(url, i % 2 === 0 ? token : 'wrong');
      c.send(JSON.stringify({ op: 'subscribe', topic: '/tf' }));
      c.close();
      storm.push(c);
    }
    return [...idle, ...storm];
  },

  /** Commands the robot cannot execute, command floods, racing resets, wrong frames. */
  async 'robot-commands'({ url, token }) {
    const cs = await clients(url, token, 2);
    const [a, b] = cs;
    const pose = (x: number, q: number[]) => ({ header: { frame_id: 'world' }, pose: { position: { x, y: 0, z: 0.3 }, orientation: { x: q[0], y: q[1], z: q[2], w: q[3] } } });
    const bad = [
      pose(0.3, [1e308, 1e308, 1e308, 1e308]),
      pose(0.3, [0, 0, 0, 0]),
      { header: { frame_id: 'world' }, pose: { position: { x: null, y: 0, z: 0.3 } } },
      pose(1e300, [0, 0, 0, 1]),
      { header: { frame_id: 'camera' }, pose: { position: { x: 0.3, y: 0, z: 0.3 } } },
    ];
    for (let i = 0; i < 40; i++) {
      const target = i % 8 === 7 ? pose(0.4, [1, 0, 0, 0]) : bad[i % bad.length];
      a.send(JSON.stringify({ op: 'publish', topic: '/peract/command', msg: { target, gripper_open: i % 2 === 0 } }));
      b.send(JSON.stringify({ op: 'call_service', service: '/peract/execute', args: { target, gripper_open: true }, id: `e${i}` }));
    }
    for (let i = 0; i < 10; i++) {
      b.send(JSON.stringify({ op: 'call_service', service: '/peract/reset', args: { task: i % 3 === 0 ? 'no_such_task' : 'reach_target', variation: i % 2 ? -1 : 99, seed: i }, id: `r${i}` }));
      b.send(JSON.stringify({ op: 'call_service', service: '/peract/act', args: { goal: 'g'.repeat(i * 300), execute: true }, id: `act${i}` }));
    }
    return cs;
  },
};

/** What a well-behaved client sees: /joint_states rate, a call's latency, a fresh client's. */
export async function checkGoodClient(good: RosLike, server: ServeProcess, windowMs = 1000): Promise<GoodClientCheck> {
  const t0 = performance.now();
  await callService(good, '/peract/success', 'std_srvs/Trigger', {}, 10_000);
  const callMs = performance.now() - t0;
  const jointStatesPerSecond = await topicRate(good, '/joint_states', 'sensor_msgs/JointState', windowMs);
  const t1 = performance.now();
  const fresh = await openRos(server.url, server.token);
  try {
    await callService(fresh, '/rosapi/topics', 'rosapi/Topics', {}, 10_000);
  } finally {
    fresh.close();
  }
  return { jointStatesPerSecond, callMs, freshClientMs: performance.now() - t1 };
}

/**
 * Runs one batch against a server until it has answered everything (clients that never read
 * are not waited for); its clients stay connected until `leave`.
 */
export async function runBatch(name: string, server: ServeProcess, scale = 1): Promise<{ result: BatchResult; hostiles: Hostile[] }> {
  const hostiles = await BATCHES[name](server, scale);
  if (name !== 'never-read') await Promise.all(hostiles.map((c) => c.drained()));
  const result = { name, framesSent: hostiles.reduce((n, c) => n + c.sent, 0), framesReceived: hostiles.reduce((n, c) => n + c.received, 0) };
  return { result, hostiles };
}

/** Closes a batch's clients (those still open) and waits a moment for the server to see it. */
export async function leave(hostiles: Hostile[]): Promise<void> {
  for (const h of hostiles) h.close();
  await new Promise((r) => setTimeout(r, 100));
}
