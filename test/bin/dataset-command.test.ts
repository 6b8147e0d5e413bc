import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CameraFrame } from '../../core/index.js';
import { recordedFrames } from '../../dataset/keyframes.js';
import { openDatasetWriter, type EpisodeRecord, type LowDimFrame } from '../../dataset/index.js';
import { registerDataset } from '../../bin/commands/dataset.js';
import { peractRejection } from '../helpers.js';

const W = 40;
const H = 30;
const SCALE = 2;
const MARGIN = 8;
const GAP = 8;
const MAGENTA = [255, 0, 255];

/** A camera 1.5 m above (0.4, 0, 0) looking straight down, filled with one colour. */
function camera(name: string, colour: [number, number, number]): CameraFrame {
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < rgb.length; i += 3) rgb.set(colour, i);
  return {
    name,
    width: W,
    height: H,
    rgb,
    depthMetres: new Float32Array(W * H).fill(1.3),
    intrinsics: { fx: 30, fy: 30, cx: (W - 1) / 2, cy: (H - 1) / 2 },
    // Optical axes in the world: x right = +x, y down = -y, z forward = -z.
    worldFromCamera: [1, 0, 0, 0.4, 0, -1, 0, 0, 0, 0, -1, 1.5, 0, 0, 0, 1],
  };
}

/** 30 frames at 10 Hz; the gripper moves along x and closes at frame 12. */
function episode(task: string, seed: number, keyframes: number[], cameras: [string, [number, number, number]][]): EpisodeRecord {
  const n = 30;
  const frames: LowDimFrame[] = Array.from({ length: n }, (_, i) => ({
    timeSeconds: i * 0.1,
    gripperPose: { positionMetres: [0.3 + (0.2 * i) / n, 0.05, 0.2], quaternion: [1, 0, 0, 0] },
    gripperOpen: i < 12,
    ignoreCollisions: false,
    fingerWidthsMetres: [0.04, 0.04],
    jointPositionsRad: [0, 0, 0, 0, 0, 0, 0],
    jointVelocitiesRadPerS: [0, 0, 0, 0, 0, 0, 0],
  }));
  const images = new Map<number, CameraFrame[]>();
  for (const f of recordedFrames(keyframes, n)) images.set(f, cameras.map(([name, colour]) => camera(name, colour)));
  return { task, variation: 0, seed, goals: [`pick up the block ${seed}`], frames, keyframes, images };
}

let root: string;
let dir: string;
beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'peract-dataset-command-'));
  dir = join(root, 'demos');
  const writer = await openDatasetWriter(dir, { create: true });
  await writer.writeEpisode(episode('pick_block', 3, [8, 12, 29], [['wrist', [0, 160, 0]], ['front', [0, 0, 160]]]));
  await writer.writeEpisode(episode('pick_block', 4, [12, 29], [['wrist', [0, 160, 0]]]));
  await writer.writeEpisode(episode('reach_target', 0, [29], [['left', [90, 90, 90]]]));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Runs `peract <args>` in-process; returns what it printed. */
async function peract(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerDataset(program);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    printed.push(parts.map(String).join(' '));
  });
  try {
    await program.parseAsync(['node', 'peract', ...args]);
  } finally {
    log.mockRestore();
  }
  return printed.join('\n');
}

function pixel(png: PNG, x: number, y: number): number[] {
  const i = (y * png.width + x) * 4;
  return [png.data[i], png.data[i + 1], png.data[i + 2]];
}

/** Whether the panel's picture area holds a pixel of `colour`. */
function panelHas(png: PNG, panel: number, colour: number[]): boolean {
  const x0 = MARGIN + panel * (W * SCALE + GAP);
  for (let y = 0; y < png.height; y++) {
    for (let x = x0; x < x0 + W * SCALE; x++) if (pixel(png, x, y).every((v, c) => v === colour[c])) return true;
  }
  return false;
}

describe('peract dataset info', () => {
  it('prints one line per episode and the totals', async () => {
    const lines = (await peract('dataset', 'info', dir)).split('\n');
    expect(lines[0]).toMatch(/^episode\s+frames\s+keyframes\s+seconds\s+cameras\s+goal$/);
    expect(lines[1]).toMatch(/^pick_block\/ep3\s+30\s+3\s+2\.90\s+wrist,front\s+pick up the block 3$/);
    expect(lines[2]).toMatch(/^pick_block\/ep4\s+30\s+2\s+2\.90\s+wrist\s+pick up the block 4$/);
    expect(lines[3]).toMatch(/^reach_target\/ep0\s+30\s+1\s+2\.90\s+left\s+pick up the block 0$/);
    expect(lines[4]).toBe('total: 3 episodes of 2 tasks, 90 frames, 6 keyframes, 8.70 s');
  });

  it('prints JSON lines with --json', async () => {
    const lines = (await peract('dataset', 'info', dir, '--json')).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ episode: 'pick_block/ep3', task: 'pick_block', seed: 3, frames: 30, keyframes: [8, 12, 29], cameras: ['wrist', 'front'], goal: 'pick up the block 3' });
    expect(lines[0].durationSeconds).toBeCloseTo(2.9, 9);
    expect(lines[3]).toMatchObject({ totals: { episodes: 3, tasks: 2, frames: 90, keyframes: 6 } });
  });
});

describe('peract dataset show', () => {
  it('draws frame 0 and each keyframe of the first episode from the front camera', async () => {
    const out = await peract('dataset', 'show', dir);
    expect(out).toBe(join(dir, 'pick_block-ep3-keyframes.png'));
    const png = PNG.sync.read(await fs.readFile(out));
    const panels = 4; // frame 0 + 3 keyframes
    expect(png.width).toBe(2 * MARGIN + panels * W * SCALE + (panels - 1) * GAP);
    for (let i = 0; i < panels; i++) {
      expect(panelHas(png, i, [0, 0, 160]), `panel ${i} shows the front camera`).toBe(true);
      expect(panelHas(png, i, [0, 160, 0]), `panel ${i} does not show the wrist camera`).toBe(false);
      expect(panelHas(png, i, MAGENTA), `panel ${i} marks the gripper`).toBe(true);
    }
  });

  it('takes --episode, --camera, --scale and --out', async () => {
    const file = join(root, 'pictures', 'ep4.png');
    expect(await peract('dataset', 'show', dir, '--episode', 'pick_block/ep4', '--camera', 'wrist', '--scale', '1', '--out', file)).toBe(file);
    const png = PNG.sync.read(await fs.readFile(file));
    expect(png.width).toBe(2 * MARGIN + 3 * W + 2 * GAP);
    // Panel 1 (keyframe 12): the gripper is at x = 0.3 + 0.2 * 12 / 30 = 0.38 m, y = 0.05 m, 1.3 m below
    // the camera: u = 30 * -0.02 / 1.3 + 19.5, v = 30 * -0.05 / 1.3 + 14.5.
    const u = (30 * -0.02) / 1.3 + (W - 1) / 2;
    const v = (30 * -0.05) / 1.3 + (H - 1) / 2;
    const panelX = MARGIN + W + GAP;
    const headerHeight = png.height - H - (2 * 8 + 6) - MARGIN;
    expect(pixel(png, Math.floor(panelX + u + 0.5), Math.floor(headerHeight + v + 0.5))).toEqual(MAGENTA);
    // The default camera of an episode without a front camera is its first one.
    const other = await peract('dataset', 'show', dir, '--episode', 'reach_target/ep0');
    expect(PNG.sync.read(await fs.readFile(other)).width).toBe(2 * MARGIN + 2 * W * SCALE + GAP);
  });

  it('names the flag or DIR when something is wrong', async () => {
    let e = await peractRejection(peract('dataset', 'show', dir, '--episode', 'pick_block/ep9'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^--episode: no episode pick_block\/ep9 in .*; episodes: pick_block\/ep3, pick_block\/ep4$/);
    e = await peractRejection(peract('dataset', 'show', dir, '--episode', 'stack_blocks'));
    expect(e.message).toMatch(/^--episode: must be <task>\/ep<seed>, got "stack_blocks"; episodes: pick_block\/ep3, pick_block\/ep4, reach_target\/ep0$/);
    e = await peractRejection(peract('dataset', 'show', dir, '--camera', 'overhead'));
    expect(e.message).toBe("--camera: episode pick_block/ep3 has no camera 'overhead'; its cameras: wrist, front");
    e = await peractRejection(peract('dataset', 'show', dir, '--scale', '0'));
    expect(e.field).toBe('--scale');
    e = await peractRejection(peract('dataset', 'show', join(root, 'nothing-here')));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/^DIR: .*nothing-here does not exist$/);
    e = await peractRejection(peract('dataset', 'info', root));
    expect(e.message).toMatch(/^DIR: .* holds no manifest\.json, so it is not a demonstration dataset/);
  });

  it('exits non-zero with the message from the peract binary', { timeout: 120_000 }, () => {
    const run = (...args: string[]) => spawnSync('npx', ['tsx', 'bin/peract.ts', 'dataset', ...args], { encoding: 'utf8', timeout: 100_000 });
    const bad = run('show', dir, '--episode', 'pick_block/ep9');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/peract: \[INVALID_ARGUMENT\] --episode: no episode pick_block\/ep9/);
    const missing = run('info', join(root, 'nothing-here'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/peract: \[NOT_FOUND\] DIR: .*nothing-here does not exist/);
    const help = run('show', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--episode <name>\s+the episode to draw/);
  });
});
