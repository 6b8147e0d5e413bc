import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, matrixFromPose, type CameraFrame } from '../../core/index.js';
import { sha256Hex } from '../../core/files.js';
import { discoverKeyframes, recordedFrames } from '../../dataset/keyframes.js';
import {
  openDataset,
  openDatasetWriter,
  observationAt,
  type DatasetManifest,
  type EpisodeRecord,
  type LowDimFrame,
} from '../../dataset/index.js';
import { peractRejection } from '../helpers.js';

const W = 16;
const H = 12;

function camera(rng: Rng, name: string, frame: number, withMask: boolean): CameraFrame {
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = rng.int(0, 255);
  const depthMetres = new Float32Array(W * H);
  for (let i = 0; i < depthMetres.length; i++) depthMetres[i] = rng.uniform(0.2, 3.5);
  depthMetres[0] = 0;
  depthMetres[1] = Number.NaN;
  depthMetres[2] = 70; // beyond 16-bit millimetres: stored as no reading
  const out: CameraFrame = {
    name,
    width: W,
    height: H,
    rgb,
    depthMetres,
    intrinsics: { fx: 20.5, fy: 21.25, cx: 7.5, cy: 5.5 },
    // The wrist camera moves with the frame; poses carry full float64 precision.
    worldFromCamera: matrixFromPose({ positionMetres: [0.1 * frame + 1 / 3, -0.2, 1.1], quaternion: [0.1, 0.2, 0.3, 0.9] }),
  };
  if (withMask) out.mask = Uint16Array.from({ length: W * H }, () => rng.int(0, 65535));
  return out;
}

function episode(task: string, seed: number): EpisodeRecord {
  const rng = new Rng(seed);
  const n = 35;
  const frames: LowDimFrame[] = Array.from({ length: n }, (_, i) => ({
    timeSeconds: i * 0.05,
    gripperPose: { positionMetres: [rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), 1 + rng.next() / 7], quaternion: [0, 1, 0, 0] },
    gripperOpen: i < 14 || i > 27,
    ignoreCollisions: i > 10 && i < 20,
    fingerWidthsMetres: [i < 14 ? 0.04 : 0.012, i < 14 ? 0.04 : 0.0125],
    jointPositionsRad: Array.from({ length: 7 }, () => rng.uniform(-2, 2)),
    jointVelocitiesRadPerS: Array.from({ length: 7 }, () => (i === 8 || i === 21 ? 0 : rng.uniform(-1, 1))),
  }));
  const keyframes = discoverKeyframes(frames);
  const images = new Map<number, CameraFrame[]>();
  for (const f of recordedFrames(keyframes, n)) {
    images.set(f, [camera(rng, 'front', f, true), camera(rng, 'wrist', f, false)]);
  }
  return { task, variation: seed % 3, seed, goals: [`stack ${seed} blocks`, 'stack the blocks'], frames, keyframes, images };
}

let root: string;
let base: string;
let counter = 0;
const written = new Map<number, EpisodeRecord>();

/** A fresh copy of the base dataset (two finished episodes) to damage. */
async function copyOfBase(): Promise<string> {
  const dir = join(root, `copy${counter++}`);
  await fs.cp(base, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'peract-dataset-'));
  base = join(root, 'base');
  const writer = await openDatasetWriter(base, { create: true });
  for (const seed of [3, 1]) {
    const record = episode('stack_blocks', seed);
    written.set(seed, record);
    await writer.writeEpisode(record);
  }
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('dataset round trip', () => {
  it('lays out manifest, episode folders and images as documented', async () => {
    const manifest = JSON.parse(await fs.readFile(join(base, 'manifest.json'), 'utf8')) as DatasetManifest;
    expect(manifest.format).toBe('peract-demos');
    expect(manifest.formatVersion).toBe(1);
    expect(manifest.episodes.map((e) => e.seed)).toEqual([1, 3]);
    const entry = manifest.episodes[0];
    const record = written.get(1)!;
    expect(entry).toMatchObject({ task: 'stack_blocks', seed: 1, variation: 1, status: 'complete', dir: 'stack_blocks/ep1' });
    expect(entry.keyframes).toEqual(record.keyframes);
    expect(entry.keyframes.length).toBeGreaterThanOrEqual(3);
    expect(entry.recordedFrames).toEqual([...record.images.keys()].sort((a, b) => a - b));
    const onDisk = (await fs.readdir(join(base, 'stack_blocks', 'ep1'))).sort();
    expect(onDisk).toEqual(entry.files.map((f) => f.name).sort());
    expect(onDisk).toContain('0_front_rgb.png');
    expect(onDisk).toContain('0_front_mask.png');
    expect(onDisk).not.toContain('0_wrist_mask.png');
    for (const file of entry.files) {
      const data = await fs.readFile(join(base, 'stack_blocks', 'ep1', file.name));
      expect(data.length).toBe(file.bytes);
      expect(sha256Hex(data)).toBe(file.sha256);
    }
  });

  it('loads back identical rgb, masks, intrinsics, poses and low-dim state, depth within 1 mm', async () => {
    const dataset = await openDataset(base);
    const entry = dataset.findEpisode('stack_blocks', 3)!;
    const loaded = await dataset.loadEpisode(entry);
    const original = written.get(3)!;
    expect(loaded.frames).toEqual(original.frames);
    expect(loaded.keyframes).toEqual(original.keyframes);
    expect(loaded.goals).toEqual(original.goals);
    expect(loaded.variation).toBe(original.variation);
    expect([...loaded.images.keys()]).toEqual(entry.recordedFrames);
    for (const [frame, cameras] of original.images) {
      const back = loaded.images.get(frame)!;
      expect(back.map((c) => c.name)).toEqual(cameras.map((c) => c.name));
      cameras.forEach((cam, c) => {
        const got = back[c];
        expect(Buffer.from(got.rgb).equals(Buffer.from(cam.rgb))).toBe(true);
        expect(got.intrinsics).toEqual(cam.intrinsics);
        expect(Array.from(got.worldFromCamera)).toEqual(Array.from(cam.worldFromCamera));
        expect(got.mask ? Array.from(got.mask) : undefined).toEqual(cam.mask ? Array.from(cam.mask) : undefined);
        expect(got.depthMetres).toBeInstanceOf(Float32Array);
        let worst = 0;
        for (let i = 3; i < W * H; i++) worst = Math.max(worst, Math.abs(got.depthMetres[i] - cam.depthMetres[i]));
        expect(worst).toBeLessThanOrEqual(0.0005 + 1e-6);
        expect([got.depthMetres[0], got.depthMetres[1], got.depthMetres[2]]).toEqual([0, 0, 0]);
      });
    }
  });

  it('skips the masks when asked (training reads no masks)', async () => {
    const dataset = await openDataset(base);
    const entry = dataset.findEpisode('stack_blocks', 3)!;
    const frame = entry.recordedFrames[0];
    const withMasks = await dataset.loadEpisode(entry, { imageFrames: [frame] });
    const without = await dataset.loadEpisode(entry, { imageFrames: [frame], masks: false });
    expect(withMasks.images.get(frame)!.some((c) => c.mask !== undefined)).toBe(true);
    expect(without.images.get(frame)!.every((c) => c.mask === undefined)).toBe(true);
    expect(Buffer.from(without.images.get(frame)![0].rgb).equals(Buffer.from(withMasks.images.get(frame)![0].rgb))).toBe(true);
  });

  it('rebuilds the Observation at a recorded frame', async () => {
    const dataset = await openDataset(base);
    const loaded = await dataset.loadEpisode(dataset.findEpisode('stack_blocks', 1)!, { imageFrames: [0, written.get(1)!.keyframes[0]] });
    const k0 = loaded.keyframes[0];
    const observation = observationAt(loaded, k0);
    expect(observation.step).toBe(1);
    expect(observation.gripperPose).toEqual(loaded.frames[k0].gripperPose);
    expect(observation.jointPositionsRad).toEqual(loaded.frames[k0].jointPositionsRad);
    expect(observation.cameras.map((c) => c.name)).toEqual(['front', 'wrist']);
    expect(observationAt(loaded, 0).step).toBe(0);
    expect(() => observationAt(loaded, 10)).toThrow(/frameIndex.*no images/);
  });
});

describe('resuming a partial dataset', () => {
  it('skips finished episodes and redoes an unfinished folder', async () => {
    const dir = await copyOfBase();
    // A crash while writing seed 2: a folder with a stray file, not in the manifest.
    await fs.mkdir(join(dir, 'stack_blocks', 'ep2'), { recursive: true });
    await fs.writeFile(join(dir, 'stack_blocks', 'ep2', '0_front_rgb.png'), 'half');
    const finishedBefore = await fs.stat(join(dir, 'stack_blocks', 'ep1', 'lowdim.json'));

    const writer = await openDatasetWriter(dir, { create: true });
    const done: number[] = [];
    for (const seed of [1, 2, 3]) {
      if (writer.hasEpisode('stack_blocks', seed)) continue;
      await writer.writeEpisode(episode('stack_blocks', seed));
      done.push(seed);
    }
    expect(done).toEqual([2]);
    expect(writer.episodes.map((e) => e.seed)).toEqual([1, 2, 3]);
    const finishedAfter = await fs.stat(join(dir, 'stack_blocks', 'ep1', 'lowdim.json'));
    expect(finishedAfter.mtimeMs).toBe(finishedBefore.mtimeMs);
    expect(finishedAfter.ino).toBe(finishedBefore.ino);

    const dataset = await openDataset(dir);
    const redone = await dataset.loadEpisode(dataset.findEpisode('stack_blocks', 2)!);
    expect(redone.frames).toEqual(episode('stack_blocks', 2).frames);
    // No temporaries or stray files left behind.
    const names = await fs.readdir(join(dir, 'stack_blocks', 'ep2'));
    expect(names.sort()).toEqual(dataset.findEpisode('stack_blocks', 2)!.files.map((f) => f.name).sort());
  });

  it('refuses to open a missing dataset without create', async () => {
    expect((await peractRejection(openDatasetWriter(join(root, 'none')))).code).toBe('NOT_FOUND');
    expect((await peractRejection(openDataset(join(root, 'none')))).code).toBe('NOT_FOUND');
  });

  it('rejects a record without images at a keyframe, naming the field, before touching the disk', async () => {
    const dir = await copyOfBase();
    const writer = await openDatasetWriter(dir);
    const record = episode('stack_blocks', 5);
    record.images.delete(record.keyframes[1]);
    await expect(writer.writeEpisode(record)).rejects.toThrow(new RegExp(`images\\[${record.keyframes[1]}\\]`));
    await expect(fs.access(join(dir, 'stack_blocks', 'ep5'))).rejects.toThrow();
    const bad = episode('bad/task', 5);
    await expect(writer.writeEpisode(bad)).rejects.toThrow(/task/);
  });
});

describe('damage is reported by file name', () => {
  const episodeFile = (dir: string, name: string): string => join(dir, 'stack_blocks', 'ep1', name);
  const load = async (dir: string): Promise<unknown> => {
    const dataset = await openDataset(dir);
    return dataset.loadEpisode(dataset.findEpisode('stack_blocks', 1)!);
  };

  it('a truncated PNG', async () => {
    const dir = await copyOfBase();
    const path = episodeFile(dir, '0_front_depth.png');
    const data = await fs.readFile(path);
    await fs.writeFile(path, data.subarray(0, data.length - 20));
    const error = await peractRejection(load(dir));
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/truncated/);
  });

  it('a tampered byte', async () => {
    const dir = await copyOfBase();
    const path = episodeFile(dir, '0_wrist_rgb.png');
    const data = await fs.readFile(path);
    data[data.length >> 1] ^= 0xff;
    await fs.writeFile(path, data);
    const error = await peractRejection(load(dir));
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/checksum/);
  });

  it('a deleted file', async () => {
    const dir = await copyOfBase();
    const path = episodeFile(dir, 'cameras.json');
    await fs.rm(path);
    const error = await peractRejection(load(dir));
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/missing/);
  });

  it('a file that matches its checksum but is not a valid PNG', async () => {
    const dir = await copyOfBase();
    const path = episodeFile(dir, '0_front_mask.png');
    const junk = Buffer.from('not a png at all');
    await fs.writeFile(path, junk);
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as DatasetManifest;
    const file = manifest.episodes[0].files.find((f) => f.name === '0_front_mask.png')!;
    file.bytes = junk.length;
    file.sha256 = sha256Hex(junk);
    await fs.writeFile(manifestPath, JSON.stringify(manifest));
    const error = await peractRejection(load(dir));
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/bad PNG/);
  });

  it('a corrupt manifest, for the loader and the writer', async () => {
    const dir = await copyOfBase();
    const manifestPath = join(dir, 'manifest.json');
    const text = await fs.readFile(manifestPath, 'utf8');
    await fs.writeFile(manifestPath, text.slice(0, text.length / 2));
    for (const open of [openDataset, (d: string) => openDatasetWriter(d, { create: true })]) {
      const error = await peractRejection(open(dir));
      expect(error.code).toBe('CORRUPT_FILE');
      expect(error.message).toContain(manifestPath);
    }
  });

  it('a manifest whose episode folder would leave the dataset', async () => {
    const dir = await copyOfBase();
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as DatasetManifest;
    manifest.episodes[0].task = '..';
    await fs.writeFile(manifestPath, JSON.stringify(manifest));
    const error = await peractRejection(openDataset(dir));
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.message).toMatch(/manifest\.json.*task/);
  });

  it('a version mismatch', async () => {
    const dir = await copyOfBase();
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    manifest.formatVersion = 2;
    await fs.writeFile(manifestPath, JSON.stringify(manifest));
    const error = await peractRejection(openDataset(dir));
    expect(error.code).toBe('VERSION_MISMATCH');
    expect(error.message).toContain(manifestPath);
    expect(error.message).toMatch(/formatVersion 2/);
  });
});
