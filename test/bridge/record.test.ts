import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../agent/index.js';
import { advertiseRecordServices, parseRosEnvConfig, Recorder, RECORD_SERVICES, startSimBridge, type RecorderEvent, type SimBridge } from '../../bridge/index.js';
import { callRos, resetForTeleop, teleoperate } from '../../bridge/sim-robot/sim-teleop.js';
import type { RosLike } from '../../bridge/ros/roslib.js';
import { openDataset, openDatasetWriter, type DatasetWriter } from '../../dataset/index.js';
import { recordDemo, SimEnv, type ExpertStep } from '../../sim/index.js';
import { openRos, withTimeout } from './helpers.js';

/**
 * End to end without a real arm: `peract serve`'s robot plays the arm, a client drives the
 * scripted expert through /peract/execute, and the recorder records it over the bridge,
 * controlled through its services. The recorded keyframes must be the expert's own.
 */

const TASK = 'pick_and_lift';
const SEED = 3;
// PerAct's voxel: 1 m of workspace over 100 voxels.
const ONE_VOXEL_METRES = 0.01;
const TINY = { gridSize: 16, patchSize: 4, voxelTokenDim: 32, proprioFeatureDim: 8, languageEmbedDim: 8, numLatents: 16, latentDim: 32, selfAttentionLayers: 1, selfHeads: 2, selfHeadDim: 16, crossHeadDim: 16, headHidden: [64, 32] as [number, number] };

let dir: string;
let bridge: SimBridge;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peract-record-'));
  bridge = await startSimBridge({ port: 0, task: TASK, seed: SEED, rateHz: 20, viewer: false, checkOutgoing: true });
});

afterAll(async () => {
  await bridge?.close();
  await rm(dir, { recursive: true, force: true });
});

const distance = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const trigger = (ros: RosLike, name: string) => callRos(ros, name, 'std_srvs/Trigger', {}, 60_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(ready: () => boolean): Promise<void> {
  while (!ready()) await sleep(50);
}

describe('peract record over the bridge', () => {
  it('records the expert driven through /peract/execute with the expert’s own keyframes, and the dataset trains', async () => {
    const out = join(dir, 'recorded');
    const events: RecorderEvent[] = [];
    const recorder = await Recorder.open({ robot: { url: bridge.url }, out, task: TASK, goal: 'pick up the block and lift it', onEvent: (e) => events.push(e) });
    const services = await advertiseRecordServices(recorder);
    const ros = await openRos(bridge.url);
    let steps: ExpertStep[] = [];
    try {
      steps = await resetForTeleop(ros, TASK, SEED);
      await sleep(400);
      const started = await trigger(ros, RECORD_SERVICES.start);
      expect(started).toMatchObject({ success: true, message: `recording ${TASK}/ep0` });
      const driven = await withTimeout(teleoperate(ros, steps, 0.6), 120_000, 'teleoperation');
      expect(driven.success).toBe(true);
      expect(recorder.status.state).toBe('recording');
      // The robot streams while it moves, so the stamps have no gaps there; while it stands, a
      // loaded machine may publish a tick late, which counts as a gap.
      expect(recorder.status.dropped).toBeLessThan(recorder.status.frames / 5);
      expect(recorder.status.framesPerSecond).toBeGreaterThan(5);
      const stopped = await trigger(ros, RECORD_SERVICES.stop);
      expect(stopped.success, String(stopped.message)).toBe(true);
      expect(String(stopped.message)).toMatch(/^saved pick_and_lift\/ep0: \d+ frames, \d+ keyframes$/);
      // A second stop has nothing to stop; discard has nothing to discard.
      expect(await trigger(ros, RECORD_SERVICES.stop)).toMatchObject({ success: false });
      expect(await trigger(ros, RECORD_SERVICES.discard)).toMatchObject({ success: false, message: 'no episode to discard' });
    } finally {
      ros.close();
      await services.close();
      await recorder.close();
    }
    expect(events.map((e) => e.kind)).toEqual(['started', 'saved']);

    // The expert's own keyframes are its waypoints: where it moved, the gripper and the collision flag.
    const expected = steps.map((s) => ({ positionMetres: s.action.positionMetres, gripperOpen: s.action.gripperOpen, ignoreCollisions: s.action.ignoreCollisions }));

    const dataset = await openDataset(out);
    expect(dataset.manifest.episodes.map((e) => `${e.task}/ep${e.seed}`)).toEqual([`${TASK}/ep0`]);
    const episode = await dataset.loadEpisode(dataset.manifest.episodes[0]);
    expect(episode.goals).toEqual(['pick up the block and lift it']);
    const got = episode.keyframes.map((k) => episode.frames[k]);
    expect(got).toHaveLength(expected.length);
    got.forEach((frame, i) => {
      const [x, y, z] = frame.gripperPose.positionMetres;
      const [ex, ey, ez] = expected[i].positionMetres;
      expect(Math.max(Math.abs(x - ex), Math.abs(y - ey), Math.abs(z - ez)), `keyframe ${i}`).toBeLessThan(ONE_VOXEL_METRES);
      expect(frame.gripperOpen, `keyframe ${i} gripper`).toBe(expected[i].gripperOpen);
      expect(frame.ignoreCollisions, `keyframe ${i} collision flag`).toBe(expected[i].ignoreCollisions);
      // A grasp's keyframe shows the fingers closed, as the observation after that action does.
      if (!frame.gripperOpen) expect(frame.fingerWidthsMetres[0] + frame.fingerWidthsMetres[1], `keyframe ${i} fingers`).toBeLessThan(0.06);
    });
    // `peract demos` cuts the same episode by PerAct's rule over every physics frame; that rule
    // also marks the arm's stop right after a grasp, at the grasp's pose. Folded, the poses agree.
    const env = new SimEnv({ record: true });
    const demo = await recordDemo(env, TASK, SEED);
    await env.close();
    const folded = demo.record.keyframes.map((k) => demo.record.frames[k]).filter((f, i, all) => i === 0 || distance(f.gripperPose.positionMetres, all[i - 1].gripperPose.positionMetres) > 0.002 || f.gripperOpen !== all[i - 1].gripperOpen);
    expect(folded.map((f) => f.gripperOpen)).toEqual(got.map((f) => f.gripperOpen));
    folded.forEach((f, i) => expect(distance(f.gripperPose.positionMetres, got[i].gripperPose.positionMetres), `PerAct keyframe ${i}`).toBeLessThan(ONE_VOXEL_METRES));
    // Frame 0, every 10th frame and every keyframe have images on disk.
    for (const k of [0, ...episode.keyframes]) expect(episode.images.has(k), `images of frame ${k}`).toBe(true);

    const run = await train({ data: [out], out: join(dir, 'run'), preset: 'cpu', network: TINY, steps: 3, batch: 2, seed: 0, optimizer: 'adam', learningRate: 1e-3, weightDecay: 0, checkpointEvery: 3, evalEvery: 3, augmentation: false, backend: 'wasm', inProcessData: true });
    expect(run.step).toBe(3);
    expect(Number.isFinite(run.finalLoss)).toBe(true);
  }, 240_000);

  it('continues the numbering of an existing dataset and discards an episode whose cameras stop', async () => {
    const out = join(dir, 'recorded');
    const events: RecorderEvent[] = [];
    const recorder = await Recorder.open({ robot: { url: bridge.url, topicTimeoutMs: 800 }, out, task: TASK, goal: 'lift it', onEvent: (e) => events.push(e) });
    try {
      expect(recorder.start()).toEqual({ episode: 1, goal: 'lift it' });
      await sleep(500);
      expect(recorder.status.frames).toBeGreaterThan(3);
      bridge.robot.stop();
      await sleep(1600);
      expect(recorder.status.state).toBe('idle');
      const discarded = events.find((e) => e.kind === 'discarded');
      expect(discarded && discarded.kind === 'discarded' ? discarded.reason : '').toMatch(/no synchronised camera frames for .* s: no message within 800 ms on \/front\/color\/image_raw/);
    } finally {
      await recorder.close();
    }
    const dataset = await openDataset(out);
    expect(dataset.manifest.episodes).toHaveLength(1);
    expect(await readdir(join(out, TASK))).toEqual(['ep0']);
  }, 60_000);

  it('keeps an episode the disk could not take in memory, leaves the dataset unchanged, and saves it on the next stop', async () => {
    const own = await startSimBridge({ port: 0, task: 'reach_target', seed: 1, rateHz: 20, viewer: false });
    const out = join(dir, 'full-disk');
    let full = true;
    const openWriter = async (d: string): Promise<DatasetWriter> => {
      const real = await openDatasetWriter(d, { create: true });
      return {
        get dir() {
          return real.dir;
        },
        get episodes() {
          return real.episodes;
        },
        hasEpisode: (t, s) => real.hasEpisode(t, s),
        async writeEpisode(record) {
          if (!full) return real.writeEpisode(record);
          // Half an episode reaches the disk, then it is full.
          await mkdir(join(d, record.task, `ep${record.seed}`), { recursive: true });
          await writeFile(join(d, record.task, `ep${record.seed}`, 'lowdim.json'), '{"frames":[');
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
      };
    };
    const events: RecorderEvent[] = [];
    const recorder = await Recorder.open({ robot: { url: own.url }, out, task: 'reach_target', goal: 'reach the red target', openWriter, onEvent: (e) => events.push(e) });
    const ros = await openRos(own.url);
    try {
      const steps = await resetForTeleop(ros, 'reach_target', 1);
      recorder.start();
      await teleoperate(ros, steps, 0.5);
      const first = await recorder.stop();
      expect(first).toMatchObject({ saved: false, kept: true, episode: 0 });
      expect(first.saved ? '' : first.reason).toMatch(/not saved \(ENOSPC: no space left on device, write\); the dataset is unchanged/);
      expect(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')).episodes).toEqual([]);
      expect(await readdir(join(out, 'reach_target'))).toEqual([]);
      expect(() => recorder.start()).toThrow(/episode 0 is not saved yet/);
      full = false;
      const second = await recorder.stop();
      expect(second).toMatchObject({ saved: true, episode: 0 });
    } finally {
      ros.close();
      await recorder.close();
      await own.close();
    }
    expect(events.map((e) => e.kind)).toEqual(['started', 'not-saved', 'saved']);
    const dataset = await openDataset(out);
    expect(dataset.manifest.episodes).toHaveLength(1);
  }, 120_000);

  it('discards the episode when the connection drops, and says so', async () => {
    const own = await startSimBridge({ port: 0, task: 'reach_target', seed: 2, rateHz: 20, viewer: false });
    const events: RecorderEvent[] = [];
    const recorder = await Recorder.open({ robot: { url: own.url, reconnectDelayMs: 60_000 }, out: join(dir, 'dropped'), task: 'reach_target', goal: 'reach it', onEvent: (e) => events.push(e) });
    try {
      recorder.start();
      await sleep(400);
      await own.close();
      await sleep(600);
      const discarded = events.find((e) => e.kind === 'discarded');
      expect(discarded && discarded.kind === 'discarded' ? discarded.reason : '').toMatch(/the connection to ws:\/\/.* dropped during the episode/);
      expect(recorder.status.state).toBe('idle');
    } finally {
      await recorder.close();
    }
    expect((await openDataset(join(dir, 'dropped'))).manifest.episodes).toEqual([]);
  }, 60_000);

  it('runs as `peract record`: driven by lines on stdin, it saves the episode and exits 0', async () => {
    const own = await startSimBridge({ port: 0, task: 'reach_target', seed: 4, rateHz: 20, viewer: false });
    const out = join(dir, 'cli');
    const child = spawn('npx', ['tsx', 'bin/peract.ts', 'record', '--rosbridge', own.url, '--task', 'reach_target', '--goal', 'reach the target', '--out', out, '--episodes', '1', '--no-services'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ros = await openRos(own.url);
    try {
      const steps = await resetForTeleop(ros, 'reach_target', 4);
      await withTimeout(waitFor(() => stderr.includes('connected to')), 60_000, 'peract record to connect');
      child.stdin.write('start\n');
      await withTimeout(waitFor(() => stderr.includes('recording reach_target/ep0')), 10_000, 'the episode to start');
      await teleoperate(ros, steps, 0.5);
      child.stdin.write('stop\n');
      expect(await withTimeout(exited, 30_000, 'peract record to exit')).toBe(0);
    } finally {
      child.kill();
      ros.close();
      await own.close();
    }
    expect(stderr).toMatch(/saved reach_target\/ep0: \d+ frames, \d+ keyframes, [\d.]+ s, dropped \d+, max skew \d+ ms/);
    expect(stdout).toMatch(/recorded 1 episode into /);
    expect((await openDataset(out)).manifest.episodes).toHaveLength(1);
  }, 120_000);

  it('the worked Franka configuration in docs/recording.md is a valid configuration', async () => {
    const doc = await readFile(new URL('../../docs/recording.md', import.meta.url), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const config = parseRosEnvConfig(JSON.parse(json), 'docs/recording.md');
    expect(config.cameras).toHaveLength(1);
    expect(config.gripper.source).toBe('tf');
    expect(config.recording?.keyframes?.restSeconds).toBe(0.3);
  });

  it('rejects bad options with errors naming the field', async () => {
    await expect(Recorder.open({ robot: { url: bridge.url }, out: join(dir, 'x'), task: '../evil', goal: 'g' })).rejects.toThrow(/task: must be letters/);
    await expect(Recorder.open({ robot: { url: bridge.url }, out: join(dir, 'x'), task: 't', goal: ' ' })).rejects.toThrow(/goal: must be a non-empty goal text/);
    await expect(Recorder.open({ robot: { url: bridge.url }, out: join(dir, 'x'), task: 't', goal: 'g', recording: { imageEvery: 0 } })).rejects.toThrow(/recording.imageEvery/);
    await expect(Recorder.open({ robot: { url: bridge.url }, out: join(dir, 'x'), task: 't', goal: 'g', recording: { keyframes: { restSeconds: -1 } } })).rejects.toThrow(/restSeconds/);
    await expect(Recorder.open({ robot: { url: 'http://nope' }, out: join(dir, 'x'), task: 't', goal: 'g' })).rejects.toThrow(/url/);
  });
});
