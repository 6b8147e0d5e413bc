import type { Benchmark, Figure } from './harness.js';
import { median } from './harness.js';
import type { RosLike } from '../bridge/ros/roslib.js';
import { callService, openRos } from '../test/bridge/helpers.js';
import { BATCHES, checkGoodClient, leave, runBatch, startServeProcess, type ServeProcess } from '../test/bridge/hostile-clients.js';

/**
 * `peract serve` (its own process, token required, 20 Hz) under the hostile-client batches of
 * test/bridge/hostile-clients.ts, three rounds of all of them. Per batch: frames the hostile
 * clients sent and got back, the slowest answer a good client (calling /peract/success every
 * 50 ms throughout) waited for, and its /joint_states rate after the batch. Overall: the
 * server's peak resident memory, and its memory once the hostile clients have left (after a
 * full garbage collection, through the Node inspector), against its baseline.
 */

const ROUNDS = 3;
const RATE_HZ = 20;
const MB = 1e6;

/** Calls /peract/success back to back every 50 ms until stopped; keeps the slowest latency. */
function pinger(good: RosLike): { stop(): Promise<number> } {
  let slowestMs = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await callService(good, '/peract/success', 'std_srvs/Trigger', {}, 30_000);
      slowestMs = Math.max(slowestMs, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return slowestMs;
    },
  };
}

async function hostileBench(): Promise<Figure[]> {
  const server: ServeProcess = await startServeProcess({ token: 'bench-token', rateHz: RATE_HZ, inspect: true });
  const good = await openRos(server.url, server.token);
  let peakRss = 0;
  const sampler = setInterval(() => {
    if (!server.exit) peakRss = Math.max(peakRss, server.rssBytes());
  }, 100);
  try {
    await checkGoodClient(good, server);
    const base = await server.collectGarbage();
    peakRss = base.rssBytes;
    const per: Record<string, { sent: number[]; received: number[]; slowestMs: number[]; jointHz: number[] }> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of Object.keys(BATCHES)) {
        const ping = pinger(good);
        const { result, hostiles } = await runBatch(name, server);
        const check = await checkGoodClient(good, server);
        const slowestMs = Math.max(await ping.stop(), check.callMs, check.freshClientMs);
        await leave(hostiles);
        if (server.exit) throw new Error(`peract serve exited during ${name}: ${server.stderrLines.slice(-10).join(' | ')}`);
        const p = (per[name] ??= { sent: [], received: [], slowestMs: [], jointHz: [] });
        p.sent.push(result.framesSent);
        p.received.push(result.framesReceived);
        p.slowestMs.push(slowestMs);
        p.jointHz.push(check.jointStatesPerSecond);
      }
    }
    const t0 = performance.now();
    let after = await server.collectGarbage();
    while (after.rssBytes > base.rssBytes + 64 * 1024 * 1024 && performance.now() - t0 < 10_000) {
      await new Promise((r) => setTimeout(r, 500));
      after = await server.collectGarbage();
    }
    const figures: Figure[] = Object.entries(per).map(([name, p]) => ({
      name: `bridge-hostile/${name}/slowest-good-call`,
      median: median(p.slowestMs),
      unit: 'ms',
      runs: p.slowestMs.length,
      min: Math.min(...p.slowestMs),
      max: Math.max(...p.slowestMs),
      framesSent: median(p.sent),
      framesReceived: median(p.received),
      jointStatesPerSecondAfter: Number(median(p.jointHz).toFixed(1)),
      rateHz: RATE_HZ,
    }));
    const allSent = Object.values(per).reduce((n, p) => n + p.sent.reduce((a, b) => a + b, 0), 0);
    const allReceived = Object.values(per).reduce((n, p) => n + p.received.reduce((a, b) => a + b, 0), 0);
    figures.push({
      name: 'bridge-hostile/peak-rss',
      median: Math.round(peakRss / MB),
      unit: 'MB',
      runs: 1,
      baselineMB: Math.round(base.rssBytes / MB),
      framesSent: allSent,
      framesReceived: allReceived,
      rounds: ROUNDS,
    });
    figures.push({
      name: 'bridge-hostile/rss-after-leaving',
      median: Math.round(after.rssBytes / MB),
      unit: 'MB',
      runs: 1,
      baselineMB: Math.round(base.rssBytes / MB),
      liveMB: Math.round((after.heapUsedBytes + after.externalBytes) / MB),
      liveBaselineMB: Math.round((base.heapUsedBytes + base.externalBytes) / MB),
      note: 'after a full garbage collection; live = V8 heap used + external buffers',
    });
    return figures;
  } finally {
    clearInterval(sampler);
    good.close();
    await server.stop();
  }
}

export const benchmarks: Benchmark[] = [{ name: 'bridge-hostile/batches', run: hostileBench }];
