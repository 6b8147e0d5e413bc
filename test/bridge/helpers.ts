import type { Action, Policy, PolicyOutput } from '../../core/index.js';
import type { ExpertStep } from '../../sim/index.js';
import WebSocket from 'ws';
import { connectRos, Service, Topic, type RosLike } from '../../bridge/ros/roslib.js';

/** A stand-in agent: step k returns the expert's waypoint k (the last one after that). */
export function scriptedPolicy(steps: ExpertStep[]): Policy & { calls: number } {
  const policy = {
    calls: 0,
    async act(): Promise<PolicyOutput> {
      const step = steps[Math.min(policy.calls, steps.length - 1)];
      policy.calls++;
      const action: Action = step.action;
      return { action, topVoxels: [{ positionMetres: action.positionMetres, score: 0.9 }, { positionMetres: [action.positionMetres[0] + 0.01, action.positionMetres[1], action.positionMetres[2]], score: 0.1 }] };
    },
  };
  return policy;
}

/** A roslib connection that is open. */
export const openRos = connectRos;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then((v) => {
      clearTimeout(t);
      resolve(v);
    }, (e: unknown) => {
      clearTimeout(t);
      reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}

type Msg = Record<string, unknown>;

/** A raw WebSocket client that keeps every JSON op it receives, and how it was closed. */
export interface RawClient {
  ws: WebSocket;
  ops: Msg[];
  closed: Promise<{ code: number; reason: string }>;
}

export async function rawClient(url: string): Promise<RawClient> {
  const ws = new WebSocket(url);
  const ops: Msg[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) ops.push(JSON.parse(String(data)) as Msg);
  });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, ops, closed };
}

/** Polls `ready` every 5 ms until it is true or `ms` pass. */
export async function waitUntil(ready: () => boolean, ms: number, what: string): Promise<void> {
  await withTimeout((async () => {
    while (!ready()) await new Promise((r) => setTimeout(r, 5));
  })(), ms, what);
}

/** One service call over roslib, failing after `ms`. */
export function callService(ros: RosLike, name: string, serviceType: string, args: Msg, ms = 10_000): Promise<Msg> {
  return withTimeout(new Promise<Msg>((resolve, reject) => new Service<Msg, Msg>({ ros, name, serviceType }).callService(args, resolve, (e) => reject(new Error(e)))), ms, name);
}

/** Messages a second a roslib subscriber gets on `topic` over `windowMs`. */
export async function topicRate(ros: RosLike, topic: string, messageType: string, windowMs: number): Promise<number> {
  const sub = new Topic<Msg>({ ros, name: topic, messageType });
  let count = 0;
  let first = -1;
  const cb = () => {
    if (first < 0) first = performance.now();
    else count++;
  };
  sub.subscribe(cb);
  await waitUntil(() => first >= 0, 5000, `a first message on ${topic}`);
  await new Promise((r) => setTimeout(r, windowMs));
  sub.unsubscribe(cb);
  return count / ((performance.now() - first) / 1000);
}
