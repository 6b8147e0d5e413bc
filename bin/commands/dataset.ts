import type { Command } from 'commander';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { PeractError, invalidArgument, writeFileAtomic, type CameraFrame, type Vec3 } from '../../core/index.js';
import { MANIFEST_FILE, openDataset, type Dataset, type EpisodeEntry, type EpisodeRecord } from '../../dataset/index.js';
import { CELL_WIDTH, COLOURS, blitFrame, blitImage, createImage, drawCircle, drawLine, drawText, encodePng, fillRect, makeProjector, mix, textHeight, truncateText, wrapText, type Image, type Rgb } from '../../viz/index.js';
import { panelPixel } from '../../agent/report/index.js';
import { intOption } from './options.js';

/**
 * `peract dataset info DIR` lists the episodes of a demonstration dataset; `peract dataset show
 * DIR` draws one episode's keyframes as a PNG strip, to check a recording before training on it.
 */
export function registerDataset(program: Command): void {
  const dataset = program
    .command('dataset')
    .description("look at a demonstration dataset: list its episodes, draw an episode's keyframes");

  dataset
    .command('info')
    .description('one line per episode (frames, keyframes, duration, cameras, first goal), then the totals')
    .argument('<dir>', 'dataset folder (the one holding manifest.json)')
    .option('--json', 'print JSON lines instead: one object per episode, then {"totals": {...}}')
    .action(async (dir: string, o: { json?: boolean }) => {
      const data = await openDatasetDir(dir);
      const rows: EpisodeSummary[] = [];
      for (const entry of data.manifest.episodes) {
        rows.push(summarize(entry, await data.loadEpisode(entry, { imageFrames: [], masks: false })));
      }
      for (const line of o.json === true ? infoJsonLines(rows) : infoTable(rows)) console.log(line);
    });

  dataset
    .command('show')
    .description("write a PNG strip of one episode: frame 0 and each keyframe, the gripper position marked, with frame, time and gripper state")
    .argument('<dir>', 'dataset folder (the one holding manifest.json)')
    .option('--episode <name>', 'the episode to draw, <task>/ep<seed> as `peract dataset info` lists it (default: the first in the manifest)')
    .option('--camera <name>', 'the camera to draw (default: front if the episode has it, else its first camera)')
    .option('--out <file>', 'the PNG to write (default: <dir>/<task>-ep<seed>-keyframes.png)')
    .option('--scale <n>', 'nearest-neighbour magnification of the camera images (1-8)', '2')
    .action(async (dir: string, o: { episode?: string; camera?: string; out?: string; scale: string }) => {
      const scale = intOption(o.scale, '--scale', 1);
      if (scale > 8) throw invalidArgument('--scale', `must be at most 8, got ${scale}`);
      const data = await openDatasetDir(dir);
      const entry = chooseEpisode(data, o.episode);
      const camera = o.camera ?? (entry.cameras.includes('front') ? 'front' : entry.cameras[0]);
      if (!entry.cameras.includes(camera)) {
        throw invalidArgument('--camera', `episode ${entry.dir} has no camera '${camera}'; its cameras: ${entry.cameras.join(', ')}`);
      }
      const shown = [0, ...entry.keyframes];
      const episode = await data.loadEpisode(entry, { imageFrames: shown.filter((f) => entry.recordedFrames.includes(f)), masks: false });
      const out = o.out ?? join(dir, `${entry.task}-ep${entry.seed}-keyframes.png`);
      await fs.mkdir(dirname(out), { recursive: true });
      await writeFileAtomic(out, encodePng(keyframeStrip(episode, camera, scale)));
      console.log(out);
    });
}

/** What `dataset info` prints about one episode. */
export interface EpisodeSummary {
  /** `<task>/ep<seed>`, the name `--episode` takes. */
  episode: string;
  task: string;
  seed: number;
  variation: number;
  frames: number;
  keyframes: number[];
  /** From the first to the last frame's timeSeconds. */
  durationSeconds: number;
  cameras: string[];
  goal: string;
}

function summarize(entry: EpisodeEntry, episode: EpisodeRecord): EpisodeSummary {
  const frames = episode.frames;
  return {
    episode: entry.dir,
    task: entry.task,
    seed: entry.seed,
    variation: entry.variation,
    frames: frames.length,
    keyframes: [...entry.keyframes],
    durationSeconds: frames.length > 0 ? frames[frames.length - 1].timeSeconds - frames[0].timeSeconds : 0,
    cameras: [...entry.cameras],
    goal: entry.goals[0] ?? '',
  };
}

function totals(rows: EpisodeSummary[]): { episodes: number; tasks: number; frames: number; keyframes: number; durationSeconds: number } {
  return {
    episodes: rows.length,
    tasks: new Set(rows.map((r) => r.task)).size,
    frames: rows.reduce((s, r) => s + r.frames, 0),
    keyframes: rows.reduce((s, r) => s + r.keyframes.length, 0),
    durationSeconds: rows.reduce((s, r) => s + r.durationSeconds, 0),
  };
}

function infoJsonLines(rows: EpisodeSummary[]): string[] {
  return [...rows.map((r) => JSON.stringify(r)), JSON.stringify({ totals: totals(rows) })];
}

/** An aligned table: episode, frames, keyframes, seconds, cameras, goal; then a total line. */
function infoTable(rows: EpisodeSummary[]): string[] {
  const header = ['episode', 'frames', 'keyframes', 'seconds', 'cameras', 'goal'];
  const cells = rows.map((r) => [r.episode, String(r.frames), String(r.keyframes.length), r.durationSeconds.toFixed(2), r.cameras.join(','), r.goal]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const numeric = new Set([1, 2, 3]);
  const line = (row: string[]): string => row.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const t = totals(rows);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [
    line(header),
    ...cells.map(line),
    `total: ${plural(t.episodes, 'episode')} of ${plural(t.tasks, 'task')}, ${plural(t.frames, 'frame')}, ${plural(t.keyframes, 'keyframe')}, ${t.durationSeconds.toFixed(2)} s`,
  ];
}

/** Opens DIR, saying plainly when it is missing or not a dataset. */
async function openDatasetDir(dir: string): Promise<Dataset> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat) throw new PeractError('NOT_FOUND', `${dir} does not exist`, { field: 'DIR' });
  if (!stat.isDirectory()) throw new PeractError('NOT_FOUND', `${dir} is not a folder`, { field: 'DIR' });
  const manifest = await fs.stat(join(dir, MANIFEST_FILE)).catch(() => undefined);
  if (!manifest?.isFile()) {
    throw new PeractError('NOT_FOUND', `${dir} holds no ${MANIFEST_FILE}, so it is not a demonstration dataset (peract demos writes one)`, { field: 'DIR' });
  }
  return openDataset(dir);
}

/** The `--episode` entry (default: the first listed); unknown names list a few valid ones. */
function chooseEpisode(data: Dataset, name: string | undefined): EpisodeEntry {
  const episodes = data.manifest.episodes;
  if (episodes.length === 0) throw new PeractError('NOT_FOUND', `${data.dir} lists no finished episodes`, { field: 'DIR' });
  if (name === undefined) return episodes[0];
  const match = /^([^/]+)\/ep(\d+)$/.exec(name.trim());
  const entry = match ? data.findEpisode(match[1], Number(match[2])) : undefined;
  if (entry) return entry;
  const sameTask = match ? episodes.filter((e) => e.task === match[1]) : [];
  const candidates = (sameTask.length > 0 ? sameTask : episodes).map((e) => e.dir);
  const few = candidates.length > 6 ? `${candidates.slice(0, 6).join(', ')}, ... (${candidates.length} in all)` : candidates.join(', ');
  const problem = match ? `no episode ${name} in ${data.dir}` : `must be <task>/ep<seed>, got ${JSON.stringify(name)}`;
  throw invalidArgument('--episode', `${problem}; episodes: ${few}`);
}

const MARGIN = 8;
const GAP = 8;
const TITLE_SCALE = 2;
const CAPTION_HEIGHT = 2 * textHeight(1) + 6;
const GOAL_LINES = 3;
const GRIPPER_COLOUR: Record<'open' | 'closed', Rgb> = { open: COLOURS.success, closed: COLOURS.limit };

/**
 * One row of panels: frame 0, then each keyframe. Each shows the camera image, the path the
 * gripper took since the previous panel (dim) and its position at the frame (magenta ring), and
 * a caption: frame index and time, then start or keyframe number and the gripper state.
 */
export function keyframeStrip(episode: EpisodeRecord, camera: string, scale: number): Image {
  const shown = [0, ...episode.keyframes];
  const frameOf = (f: number): CameraFrame | undefined => episode.images.get(f)?.find((c) => c.name === camera);
  const first = shown.map(frameOf).find((c) => c !== undefined);
  const panelWidth = (first?.width ?? 128) * scale;
  const panelHeight = (first?.height ?? 128) * scale;
  const width = 2 * MARGIN + shown.length * panelWidth + (shown.length - 1) * GAP;

  const frames = episode.frames;
  const durationSeconds = frames[frames.length - 1].timeSeconds - frames[0].timeSeconds;
  const lineChars = Math.max(4, Math.floor((width - 2 * MARGIN) / CELL_WIDTH));
  const title = truncateText(`${episode.task}/ep${episode.seed}`, Math.max(4, Math.floor((width - 2 * MARGIN) / (CELL_WIDTH * TITLE_SCALE))));
  const detail = wrapText(
    `variation ${episode.variation}  ${frames.length} frames  ${durationSeconds.toFixed(2)} s  ${episode.keyframes.length} keyframes  camera ${camera}`,
    lineChars,
  );
  const goal = wrapText(`goal: ${episode.goals[0] ?? ''}`, lineChars).slice(0, GOAL_LINES);
  const lineStep = textHeight(1) + 2;
  const headerHeight = MARGIN + textHeight(TITLE_SCALE) + 4 + (detail.length + goal.length) * lineStep + MARGIN;

  const image = createImage(width, headerHeight + panelHeight + CAPTION_HEIGHT + MARGIN, COLOURS.background);
  drawText(image, title, MARGIN, MARGIN, COLOURS.text, { scale: TITLE_SCALE });
  [...detail, ...goal].forEach((line, i) => {
    drawText(image, line, MARGIN, MARGIN + textHeight(TITLE_SCALE) + 4 + i * lineStep, i < detail.length ? COLOURS.dimText : COLOURS.text);
  });
  shown.forEach((frameIndex, i) => {
    const panel = renderPanel(episode, frameOf(frameIndex), frameIndex, i === 0 ? 0 : shown[i - 1], i, panelWidth, panelHeight);
    blitImage(image, panel, MARGIN + i * (panelWidth + GAP), headerHeight);
  });
  return image;
}

function renderPanel(
  episode: EpisodeRecord,
  frame: CameraFrame | undefined,
  frameIndex: number,
  previousIndex: number,
  keyframeNumber: number,
  width: number,
  height: number,
): Image {
  const panel = createImage(width, height + CAPTION_HEIGHT, COLOURS.background);
  const state = episode.frames[frameIndex];
  let inView = true;
  if (frame) {
    blitFrame(panel, frame, 0, 0, width, height);
    inView = drawGripperMarks(panel, frame, episode, previousIndex, frameIndex, width, height);
  } else {
    fillRect(panel, 0, 0, width, height, COLOURS.panelPlaceholder);
    drawText(panel, 'no image', 4, 4, COLOURS.dimText);
  }
  const maxChars = Math.max(4, Math.floor(width / CELL_WIDTH));
  drawText(panel, truncateText(`frame ${frameIndex}  ${state.timeSeconds.toFixed(2)} s`, maxChars), 0, height + 3, COLOURS.text);
  const gripper = state.gripperOpen ? 'open' : 'closed';
  const label = keyframeNumber === 0 ? 'start' : `key ${keyframeNumber}/${episode.keyframes.length}`;
  const y = height + 3 + textHeight(1) + 1;
  const x = drawText(panel, truncateText(`${label} `, maxChars), 0, y, COLOURS.dimText);
  const after = drawText(panel, gripper, x, y, GRIPPER_COLOUR[gripper]);
  if (!inView) drawText(panel, ' (out of view)', x + after, y, COLOURS.limit);
  return panel;
}

/**
 * The gripper's path from `fromIndex` to `toIndex` and a ring at its position at `toIndex`,
 * projected with this panel's camera. An off-view position is pinned to the nearest edge.
 * Returns whether the position is in view.
 */
function drawGripperMarks(panel: Image, frame: CameraFrame, episode: EpisodeRecord, fromIndex: number, toIndex: number, width: number, height: number): boolean {
  const project = makeProjector(frame);
  const at = (i: number): { x: number; y: number; inFront: boolean } => panelPixel(frame, project, episode.frames[i].gripperPose.positionMetres as Vec3, width, height);
  const pathColour = mix(COLOURS.marker, COLOURS.text, 0.5);
  let previous = at(fromIndex);
  for (let i = fromIndex + 1; i <= toIndex; i++) {
    const p = at(i);
    if (p.inFront && previous.inFront) drawLine(panel, previous.x, previous.y, p.x, p.y, pathColour);
    previous = p;
  }
  const p = at(toIndex);
  const inView = p.inFront && p.x >= 0 && p.y >= 0 && p.x < width && p.y < height;
  if (inView) {
    drawCircle(panel, p.x, p.y, 7, COLOURS.markerOutline, { thicknessPx: 1 });
    drawCircle(panel, p.x, p.y, 6, COLOURS.marker, { thicknessPx: 2 });
    drawCircle(panel, p.x, p.y, 1.5, COLOURS.marker, { filled: true });
  } else if (p.inFront) {
    const x = Math.min(width - 5, Math.max(4, p.x));
    const y = Math.min(height - 5, Math.max(4, p.y));
    drawCircle(panel, x, y, 4, COLOURS.markerOutline, { filled: true });
    drawCircle(panel, x, y, 3, COLOURS.marker, { filled: true });
  }
  return inView;
}
