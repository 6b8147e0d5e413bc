import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topic, type RosLike } from '../../bridge/ros/roslib.js';
import { openRos } from './helpers.js';
import { BATCHES, checkGoodClient, leave, runBatch, startServeProcess, type Hostile, type ServeProcess } from './hostile-clients.js';

/**
 * `peract serve` (its own process, with a token) under each class of hostile input, one batch
 * after another, bounded in count (a few thousand frames a batch) and time (the file takes
 * about half a minute on two cores). After each batch the server is alive, a connected client
 * still gets /joint_states at the publishing rate and a service answer, and a new client can
 * authenticate; once the hostile clients have left, the server's memory is back near where it
 * started.
 */

const RATE_HZ = 20;
const MIB = 1024 * 1024;

let server: ServeProcess;
let good: RosLike;
let baselineRss = 0;
let baselineLive = 0;
let peakRss = 0;
let sampler: NodeJS.Timeout | null = null;

beforeAll(async () => {
  // With the Node inspector, so the test can have garbage collected before it measures memory
  // (V8 otherwise collects when it sees fit, seconds or minutes later).
  server = await startServeProcess({ token: 'hostile-test-token', rateHz: RATE_HZ, inspect: true });
  good = await openRos(server.url, server.token);
  // Warm-up: render and send every image once, as a viewer would, so that the baseline holds
  // the buffers normal use allocates.
  const warm = await openRos(server.url, server.token);
  let images = 0;
  for (const cam of ['front', 'left_shoulder', 'right_shoulder', 'wrist']) {
    for (const kind of ['color', 'depth']) {
      for (const compression of ['none', 'cbor'] as const) {
        new Topic({ ros: compression === 'none' ? warm : good, name: `/${cam}/${kind}/image_raw`, messageType: 'sensor_msgs/Image', compression, throttle_rate: 100 }).subscribe(() => images++);
      }
    }
  }
  await new Promise((r) => setTimeout(r, 1500));
  warm.close();
  good.close();
  good = await openRos(server.url, server.token);
  expect(images).toBeGreaterThan(16);
  await checkGoodClient(good, server);
  const base = await server.collectGarbage();
  baselineRss = base.rssBytes;
  baselineLive = base.heapUsedBytes + base.externalBytes;
  peakRss = server.rssBytes();
  sampler = setInterval(() => {
    if (!server.exit) peakRss = Math.max(peakRss, server.rssBytes());
  }, 100);
}, 90_000);

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  good?.close();
  await server?.stop();
});

function internalErrors(hostiles: Hostile[]): string[] {
  return hostiles.flatMap((h) => h.ops.filter((o) => o.op === 'status' && /internal error/.test(String(o.msg))).map((o) => String(o.msg)));
}

describe('peract serve under hostile clients', () => {
  for (const name of Object.keys(BATCHES)) {
    it(`${name}: every bad frame is answered or refused, and a good client is served after`, async () => {
      const { result, hostiles } = await runBatch(name, server);
      const check = await checkGoodClient(good, server);
      const errors = internalErrors(hostiles);
      const codes = hostiles.map((h) => h.closeCode);
      const ops = hostiles.flatMap((h) => h.ops);
      await leave(hostiles);
      expect(server.exit, server.stderrLines.slice(-40).join('\n')).toBeNull();
      expect(result.framesSent).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      expect(check.jointStatesPerSecond).toBeGreaterThan(0.7 * RATE_HZ);
      expect(check.callMs).toBeLessThan(1000);
      expect(check.freshClientMs).toBeLessThan(2000);
      const statuses = ops.filter((o) => o.op === 'status' && o.level === 'error').length;
      switch (name) {
        case 'garbage':
          // One status for each frame (the closing call is answered with a service_response).
          expect(statuses).toBe(result.framesSent - hostiles.length * 2);
          break;
        case 'wrong-types':
          expect(statuses).toBeGreaterThan(result.framesSent * 0.6);
          break;
        case 'oversized':
          expect(codes[2]).toBe(1009);
          expect(ops.filter((o) => /exceeds the limit of 8388608 bytes/.test(String(o.msg)))).toHaveLength(1);
          expect(ops.filter((o) => /nested deeper than 32 levels/.test(String(o.msg)))).toHaveLength(2);
          break;
        case 'fragments':
          expect(ops.some((o) => /too many unfinished fragment sets/.test(String(o.msg)))).toBe(true);
          expect(ops.some((o) => /reassembled message exceeds/.test(String(o.msg)))).toBe(true);
          expect(ops.some((o) => /"total" changed/.test(String(o.msg)))).toBe(true);
          break;
        case 'subscribe-storm':
          expect(ops.some((o) => /fragment_size 1 raised to 1024/.test(String(o.msg)))).toBe(true);
          break;
        case 'never-read':
          // Each stalled client was cut off by the server, which said why.
          expect(codes.every((c) => c !== null)).toBe(true);
          expect(server.stderrLines.filter((l) => /disconnected: \d+ bytes unsent/.test(l)).length).toBeGreaterThanOrEqual(4);
          break;
        case 'reconnect-storm':
          expect(ops.filter((o) => /closed to make room/.test(String(o.msg))).length).toBeGreaterThanOrEqual(32);
          break;
        case 'robot-commands':
          expect(ops.filter((o) => o.op === 'service_response').length).toBeGreaterThanOrEqual(40);
          expect(ops.some((o) => o.op === 'service_response' && /target\.pose\.orientation: must have a finite norm/.test(String((o.values as Record<string, unknown>)?.message)))).toBe(true);
          break;
      }
    }, 45_000);
  }

  it('memory returns near its baseline once the hostile clients have left', async () => {
    // Live memory (V8 heap and buffers after a full collection) is back where it was: nothing
    // the hostile clients caused is still held. Resident memory follows as V8 returns pages.
    let after = await server.collectGarbage();
    const t0 = performance.now();
    while (after.rssBytes > baselineRss + 64 * MIB && performance.now() - t0 < 8000) {
      await new Promise((r) => setTimeout(r, 500));
      after = await server.collectGarbage();
    }
    const live = after.heapUsedBytes + after.externalBytes;
    const mib = (n: number) => `${(n / MIB).toFixed(0)} MiB`;
    const detail = `rss: baseline ${mib(baselineRss)}, peak ${mib(peakRss)}, after ${mib(after.rssBytes)}; live: baseline ${mib(baselineLive)}, after ${mib(live)}`;
    expect(live, detail).toBeLessThan(baselineLive + 16 * MIB);
    expect(after.rssBytes, detail).toBeLessThan(baselineRss + 64 * MIB);
    expect(peakRss, detail).toBeLessThan(baselineRss + 600 * MIB);
    expect(server.exit).toBeNull();
  }, 30_000);
});
