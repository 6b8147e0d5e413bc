import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PeractError } from '../../core/index.js';
import { openDataset, type DatasetManifest, type EpisodeRecord } from '../../dataset/index.js';
import { DEMO_SEED_BLOCK, generateDemos, recordDemo, type DemoProgress, type DemoSummary } from '../../sim/demos.js';
import { SimEnv } from '../../sim/sim-env.js';
import { TASK_NAMES } from '../../sim/tasks/index.js';

const TASKS = ['reach_target', 'pick_and_lift'];
let root: string;
let dirA: string;
let summaryA: DemoSummary;
const eventsA: DemoProgress[] = [];

async function readManifest(dir: string): Promise<DatasetManifest> {
  return JSON.parse(await fs.readFile(join(dir, 'manifest.json'), 'utf8')) as DatasetManifest;
}

async function loadAll(dir: string): Promise<EpisodeRecord[]> {
  const dataset = await openDataset(dir);
  return Promise.all(dataset.manifest.episodes.map((e) => dataset.loadEpisode(e)));
}

beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'peract-demos-'));
  dirA = join(root, 'a');
  summaryA = await generateDemos({ dir: dirA, tasks: TASKS, episodes: 2, seed: 0, onProgress: (e) => eventsA.push(e) });
}, 60_000);

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('generateDemos', () => {
  it('writes every episode, reports progress and records the seeds of the block', async () => {
    expect(summaryA.written).toBe(4);
    expect(summaryA.skipped).toBe(0);
    expect(summaryA.expertFailures).toBe(0);
    expect(summaryA.missing).toBe(0);
    expect(summaryA.tasks.map((t) => [t.task, t.written, t.seeds])).toEqual([
      ['reach_target', 2, [0, 1]],
      ['pick_and_lift', 2, [0, 1]],
    ]);
    expect(eventsA.map((e) => [e.task, e.seed, e.status, e.done, e.total])).toEqual([
      ['reach_target', 0, 'written', 1, 4],
      ['reach_target', 1, 'written', 2, 4],
      ['pick_and_lift', 0, 'written', 3, 4],
      ['pick_and_lift', 1, 'written', 4, 4],
    ]);
    const manifest = await readManifest(dirA);
    expect(manifest.episodes.map((e) => `${e.task}/${e.seed}`)).toEqual(['pick_and_lift/0', 'pick_and_lift/1', 'reach_target/0', 'reach_target/1']);
  });

  it('stores keyframes ending at the last frame, images at every keyframe, and goals led by the episode goal', async () => {
    const dataset = await openDataset(dirA);
    for (const entry of dataset.manifest.episodes) {
      const record = await dataset.loadEpisode(entry);
      expect(record.keyframes.length).toBeGreaterThan(0);
      expect(record.keyframes[record.keyframes.length - 1]).toBe(record.frames.length - 1);
      expect(entry.recordedFrames[0]).toBe(0);
      for (const k of record.keyframes) expect(entry.recordedFrames).toContain(k);
      for (let f = 0; f < record.frames.length; f += 10) expect(entry.recordedFrames).toContain(f);
      expect([...record.images.keys()].sort((a, b) => a - b)).toEqual(entry.recordedFrames);
      expect(record.goals.length).toBeGreaterThan(1);
      expect(new Set(record.goals).size).toBe(record.goals.length);
      expect(record.goals).toEqual(entry.goals);

      // Flat shading, and at a grasp the wrist camera sees nothing but the block: count colours per camera over the episode.
      const coloursByCamera = new Map<string, Set<number>>();
      for (const [frame, cameras] of record.images) {
        expect(cameras.map((c) => c.name)).toEqual(['front', 'left_shoulder', 'right_shoulder', 'wrist']);
        for (const camera of cameras) {
          expect([camera.width, camera.height]).toEqual([128, 128]);
          const colours = coloursByCamera.get(camera.name) ?? new Set<number>();
          coloursByCamera.set(camera.name, colours);
          for (let p = 0; p < camera.rgb.length; p += 3) colours.add((camera.rgb[p] << 16) | (camera.rgb[p + 1] << 8) | camera.rgb[p + 2]);
          let readings = 0;
          let min = Infinity;
          let max = 0;
          for (const d of camera.depthMetres) {
            if (d > 0 && Number.isFinite(d)) {
              readings++;
              min = Math.min(min, d);
              max = Math.max(max, d);
            }
          }
          // Every camera has readings over most of the image; only the wrist camera, facing a held block, may see one flat face.
          expect(readings, `${entry.dir} frame ${frame} ${camera.name} depth`).toBeGreaterThan(camera.width * camera.height * 0.5);
          if (camera.name !== 'wrist') expect(max - min, `${entry.dir} frame ${frame} ${camera.name} depth range`).toBeGreaterThan(0.1);
          expect(max).toBeLessThan(5);
        }
      }
      for (const [camera, colours] of coloursByCamera) expect(colours.size, `${entry.dir} ${camera} rgb`).toBeGreaterThan(5);
      // The scene seen from the front changes between the first and the last frame.
      const front = (f: number): Uint8Array => record.images.get(f)![0].rgb;
      expect(Buffer.compare(front(0), front(record.frames.length - 1))).not.toBe(0);
    }
  });

  it('flips the gripper state at the keyframes of a pick', async () => {
    const dataset = await openDataset(dirA);
    for (const seed of [0, 1]) {
      const record = await dataset.loadEpisode(dataset.findEpisode('pick_and_lift', seed)!, { imageFrames: [] });
      const open = record.frames.map((f) => f.gripperOpen);
      expect(open[0]).toBe(true);
      expect(open[open.length - 1]).toBe(false);
      const flips = open.flatMap((o, i) => (i > 0 && o !== open[i - 1] ? [i] : []));
      expect(flips.length).toBe(1);
      for (const i of flips) expect(record.keyframes).toContain(i);
      // Lifted: the last keyframe's gripper is well above the grasp keyframe's.
      const z = (i: number): number => record.frames[i].gripperPose.positionMetres[2];
      expect(z(record.frames.length - 1) - z(flips[0])).toBeGreaterThan(0.1);
    }
  });

  it('reproduces the same low-dim data and images bit for bit from the same seed, and other data from another seed', async () => {
    const dirB = join(root, 'b');
    await generateDemos({ dir: dirB, tasks: TASKS, episodes: 2, seed: 0 });
    const [a, b] = [await readManifest(dirA), await readManifest(dirB)];
    // The manifest holds every file's sha256, low-dim state and PNGs alike.
    expect(b.episodes).toEqual(a.episodes);
    for (const entry of a.episodes) {
      const name = join(entry.dir, 'lowdim.json');
      expect(await fs.readFile(join(dirB, name))).toEqual(await fs.readFile(join(dirA, name)));
    }
    const [recordsA, recordsB] = [await loadAll(dirA), await loadAll(dirB)];
    recordsA.forEach((r, i) => {
      const bits = (x: EpisodeRecord): number[] => x.frames.flatMap((f) => [...f.jointPositionsRad, ...f.gripperPose.positionMetres, ...f.gripperPose.quaternion]);
      expect(new Float64Array(bits(recordsB[i])).buffer).toEqual(new Float64Array(bits(r)).buffer);
    });

    const other = await generateDemos({ dir: join(root, 'c'), tasks: ['reach_target'], episodes: 1, seed: 1 });
    expect(other.tasks[0].seeds).toEqual([DEMO_SEED_BLOCK]);
    const c = await readManifest(join(root, 'c'));
    expect(c.episodes[0].seed).toBe(DEMO_SEED_BLOCK);
    expect(c.episodes[0].files.find((f) => f.name === 'lowdim.json')!.sha256).not.toBe(
      a.episodes.find((e) => e.task === 'reach_target' && e.seed === 0)!.files.find((f) => f.name === 'lowdim.json')!.sha256,
    );
  }, 30_000);

  it('skips finished episodes on a rerun and redoes just the one dropped from the manifest', async () => {
    const before = await readManifest(dirA);
    const rerun = await generateDemos({ dir: dirA, tasks: TASKS, episodes: 2, seed: 0 });
    expect([rerun.written, rerun.skipped, rerun.missing]).toEqual([0, 4, 0]);
    expect(await readManifest(dirA)).toEqual(before);

    const dropped = before.episodes.find((e) => e.task === 'pick_and_lift' && e.seed === 1)!;
    await fs.writeFile(join(dirA, 'manifest.json'), JSON.stringify({ ...before, episodes: before.episodes.filter((e) => e !== dropped) }));
    const events: DemoProgress[] = [];
    const redo = await generateDemos({ dir: dirA, tasks: TASKS, episodes: 2, seed: 0, onProgress: (e) => events.push(e) });
    expect([redo.written, redo.skipped, redo.missing]).toEqual([1, 3, 0]);
    expect(events.filter((e) => e.status === 'written').map((e) => `${e.task}/${e.seed}`)).toEqual(['pick_and_lift/1']);
    expect(redo.tasks.find((t) => t.task === 'pick_and_lift')).toMatchObject({ written: 1, skipped: 1, seeds: [0, 1] });
    expect(await readManifest(dirA)).toEqual(before);
  }, 30_000);

  it('passes over a seed whose expert fails, counts it, and reports episodes it could not produce', async () => {
    // The first episode's expert does nothing, so the target is never reached.
    const expert = vi.spyOn(SimEnv.prototype, 'expert');
    expert.mockReturnValueOnce([]);
    const dir = join(root, 'failures');
    const retried = await generateDemos({ dir, tasks: ['reach_target'], episodes: 2, seed: 3 });
    expect(retried.tasks[0]).toMatchObject({ written: 2, expertFailures: 1, missing: 0, seeds: [300_001, 300_002] });
    expect(retried.tasks[0].failures).toEqual([{ seed: 300_000, reason: 'the expert finished without success' }]);

    expert.mockReturnValue([]);
    const gaveUp = await generateDemos({ dir, tasks: ['reach_target'], episodes: 3, seed: 3, maxExpertFailures: 2 });
    expect(gaveUp.tasks[0]).toMatchObject({ written: 0, skipped: 2, expertFailures: 2, missing: 1 });
    expect(gaveUp.missing).toBe(1);
  }, 30_000);

  it('puts the reset goal first among all phrasings of the episode, for every task', async () => {
    // No expert steps: just the reset and the goal bookkeeping, fast enough for all ten tasks.
    vi.spyOn(SimEnv.prototype, 'expert').mockReturnValue([]);
    const env = new SimEnv({ record: true });
    const probe = new SimEnv();
    try {
      for (const task of TASK_NAMES) {
        for (const variation of [undefined, 1]) {
          const demo = await recordDemo(env, task, 17, variation === undefined ? {} : { variation });
          const reset = await probe.reset({ task, seed: 17, ...(variation === undefined ? {} : { variation }) });
          expect(demo.success).toBe(false);
          expect(demo.record.variation).toBe(reset.variation);
          expect(demo.record.goals[0], task).toBe(reset.goal);
          expect(demo.record.goals.length, task).toBeGreaterThan(1);
          expect(new Set(demo.record.goals).size).toBe(demo.record.goals.length);
        }
      }
    } finally {
      await env.close();
      await probe.close();
    }
  }, 30_000);

  it('rejects bad arguments naming the field', async () => {
    const field = async (p: Promise<unknown>): Promise<string | undefined> =>
      p.then(
        () => undefined,
        (e: unknown) => {
          expect(e).toBeInstanceOf(PeractError);
          return (e as PeractError).field;
        },
      );
    const dir = join(root, 'never');
    expect(await field(generateDemos({ dir, tasks: ['no_such_task'], episodes: 1 }))).toBe('task');
    expect(await field(generateDemos({ dir, tasks: ['reach_target'], episodes: 0 }))).toBe('episodes');
    expect(await field(generateDemos({ dir, tasks: ['reach_target'], episodes: 1, seed: -1 }))).toBe('seed');
    expect(await field(generateDemos({ dir, tasks: ['reach_target'], episodes: 1, seed: 50_000 }))).toBe('seed');
    const env = new SimEnv();
    expect(await field(recordDemo(env, 'reach_target', 0))).toBe('env');
    await env.close();
    await expect(fs.access(dir)).rejects.toThrow();
  });

  it('reports a truncated PNG by its file name when loading', async () => {
    // Last test of the suite: it damages dataset A for good.
    const png = join(dirA, 'pick_and_lift', 'ep0', '0_front_rgb.png');
    const bytes = await fs.readFile(png);
    await fs.writeFile(png, bytes.subarray(0, bytes.length >> 1));
    const dataset = await openDataset(dirA);
    const error = await dataset.loadEpisode(dataset.findEpisode('pick_and_lift', 0)!).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PeractError);
    expect((error as PeractError).code).toBe('CORRUPT_FILE');
    expect((error as PeractError).message).toContain('0_front_rgb.png');
    expect((error as PeractError).message).toMatch(/truncated/);
  });
});

describe('peract demos (CLI)', () => {
  it('exits 2 naming the unknown task and listing the known ones', () => {
    const result = spawnSync('npx', ['tsx', 'bin/peract.ts', 'demos', '--tasks', 'reach_target,no_such_task', '--episodes', '2', '--out', join(root, 'cli')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain('unknown task no_such_task');
    expect(result.stderr).toContain('pick_and_lift');
    expect(result.stderr).toContain('turn_tap');
  }, 30_000);
});
