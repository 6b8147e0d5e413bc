import type { Benchmark, Figure } from './harness.js';
import { median } from './harness.js';
import { RosEnv, startSimBridge } from '../bridge/index.js';
import { Topic, type RosLike } from '../bridge/ros/roslib.js';
import { SimEnv } from '../sim/index.js';
import { openRos } from '../test/bridge/helpers.js';

/**
 * Bridge throughput and latency on this machine (server and client in one process, loopback):
 * - camera frames per second a roslib client receives, 4 cameras x (colour + depth) at 128^2,
 *   JSON (base64) vs CBOR, with the server publishing as fast as the client takes them;
 * - one agent step through RosEnv (execute service + a fresh synchronised observation) versus
 *   SimEnv.step in-process, the same actions, and the ratio.
 */

const CAMERAS = ['front', 'left_shoulder', 'right_shoulder', 'wrist'];

async function framesPerSecond(compression: 'none' | 'cbor', seconds: number): Promise<Figure> {
  const bridge = await startSimBridge({ port: 0, task: 'reach_target', seed: 0, rateHz: 1, viewer: false });
  const ros: RosLike = await openRos(bridge.url);
  let images = 0;
  let bytesSeen = 0;
  for (const cam of CAMERAS) {
    for (const kind of ['color', 'depth']) {
      new Topic<{ data: unknown }>({ ros, name: `/${cam}/${kind}/image_raw`, messageType: 'sensor_msgs/Image', compression, queue_length: 1 }).subscribe((m) => {
        images++;
        bytesSeen += typeof m.data === 'string' ? m.data.length : (m.data as Uint8Array).length;
      });
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  // Publish one full set (4 cameras rendered + encoded), then yield so the client can read;
  // the rate that results is what a client sees end to end.
  const rates: number[] = [];
  let bytesPerImage = 0;
  for (let round = 0; round < 3; round++) {
    images = 0;
    bytesSeen = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < (seconds * 1000) / 3) {
      bridge.robot.publishState();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 0));
    }
    // Count what has arrived, including frames still in flight.
    await new Promise((r) => setTimeout(r, 50));
    rates.push(images / 2 / ((performance.now() - t0) / 1000));
    bytesPerImage = Math.round(bytesSeen / Math.max(1, images));
  }
  ros.close();
  await bridge.close();
  return { name: `bridge/camera-frames-per-s/4x128x128/${compression === 'none' ? 'json' : 'cbor'}`, median: median(rates), unit: 'per_s', runs: rates.length, min: Math.min(...rates), max: Math.max(...rates), note: 'camera frames (colour+depth pairs) received by a roslib client, all 4 cameras counted', bytesPerImageData: bytesPerImage };
}

async function stepLatency(): Promise<Figure[]> {
  const bridge = await startSimBridge({ port: 0, task: 'reach_target', seed: 0, rateHz: 10, viewer: false });
  const env = await RosEnv.connect({ url: bridge.url });
  const local = new SimEnv();
  const remoteMs: number[] = [];
  const localMs: number[] = [];
  try {
    for (let seed = 0; seed < 8; seed++) {
      for (const [which, target, times] of [['remote', env, remoteMs], ['local', local, localMs]] as const) {
        await target.reset({ task: 'pick_and_lift', seed });
        const steps = (which === 'local' ? local : bridge.env).expert();
        for (const s of steps) {
          const t0 = performance.now();
          const r = await target.step(s.action);
          times.push(performance.now() - t0);
          if (r.done) break;
        }
      }
    }
  } finally {
    await env.close();
    await local.close();
    await bridge.close();
  }
  const fig = (name: string, values: number[]): Figure => ({ name, median: median(values), unit: 'ms', runs: values.length, min: Math.min(...values), max: Math.max(...values) });
  const r = fig('bridge/agent-step/rosenv', remoteMs);
  const l = fig('bridge/agent-step/in-process', localMs);
  return [
    l,
    r,
    { name: 'bridge/agent-step/added-latency', median: r.median - l.median, unit: 'ms', note: 'median RosEnv step minus median SimEnv step (execute service + fresh 4-camera observation over CBOR)' },
    { name: 'bridge/agent-step/ratio', median: r.median / l.median, unit: 'ratio' },
  ];
}

export const benchmarks: Benchmark[] = [
  { name: 'bridge/camera-fps', run: async () => [await framesPerSecond('none', 3), await framesPerSecond('cbor', 3)] },
  { name: 'bridge/agent-step', run: stepLatency },
];
