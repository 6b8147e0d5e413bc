import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PeractError, invalidArgument } from '../core/index.js';
import { sha256Hex, writeFileAtomic, writeJsonAtomic } from '../core/index.js';
import { checkEpisodeRecord, checkTaskAndSeed, type CameraLayout } from './check.js';
import { readManifest } from './manifest.js';
import { depthToMillimetres } from '../perception/backproject.js';
import { encodeRgbPng } from '../core/png.js';
import { encodeGray16Png } from './png.js';
import { CAMERAS_FILE, LOWDIM_FILE, MANIFEST_FILE, episodeDirName, imageFileName } from './layout.js';
import type { CamerasFile, LowDimFile } from './schema.js';
import {
  DATASET_FORMAT,
  DATASET_FORMAT_VERSION,
  type DatasetManifest,
  type EpisodeEntry,
  type EpisodeRecord,
  type FileEntry,
} from './types.js';

/**
 * Writes demonstrations. The manifest is the commit point: an episode's files are written
 * (each atomically) first, and only then is the episode listed, by rewriting the manifest
 * atomically. A crash leaves at worst an unlisted episode folder, which `writeEpisode` wipes
 * and redoes; rerunning a generator that asks `hasEpisode` first completes a partial dataset
 * without redoing finished episodes. One writer per dataset folder at a time (not locked).
 */
export interface DatasetWriter {
  readonly dir: string;
  /** Finished episodes, sorted by task then seed. */
  readonly episodes: readonly EpisodeEntry[];
  /** True when the manifest lists this episode as complete. */
  hasEpisode(task: string, seed: number): boolean;
  /** Writes (or replaces) one episode and lists it in the manifest. Calls are serialized. */
  writeEpisode(record: EpisodeRecord): Promise<EpisodeEntry>;
}

export interface OpenDatasetWriterOptions {
  /** Create the folder and an empty manifest when there is no dataset yet. Default false. */
  create?: boolean;
}

/** Files written at once per episode; their fsyncs overlap instead of queueing one by one. */
const WRITE_PARALLELISM = 8;

export async function openDatasetWriter(dir: string, options: OpenDatasetWriterOptions = {}): Promise<DatasetWriter> {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('dir', 'must be a non-empty path');
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifest: DatasetManifest;
  if (await exists(manifestPath)) {
    manifest = await readManifest(manifestPath);
  } else if (options.create) {
    await fs.mkdir(dir, { recursive: true });
    manifest = { format: DATASET_FORMAT, formatVersion: DATASET_FORMAT_VERSION, episodes: [] };
    await writeJsonAtomic(manifestPath, manifest);
  } else {
    throw new PeractError('NOT_FOUND', `no dataset here (${MANIFEST_FILE} is missing); open with { create: true } to start one`, {
      field: dir,
    });
  }
  return new Writer(dir, manifest);
}

class Writer implements DatasetWriter {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private manifest: DatasetManifest,
  ) {}

  get episodes(): readonly EpisodeEntry[] {
    return this.manifest.episodes;
  }

  hasEpisode(task: string, seed: number): boolean {
    checkTaskAndSeed(task, seed);
    return this.manifest.episodes.some((e) => e.task === task && e.seed === seed);
  }

  writeEpisode(record: EpisodeRecord): Promise<EpisodeEntry> {
    // Validate before queueing so bad input fails fast and never touches the disk.
    let checked: ReturnType<typeof checkEpisodeRecord>;
    try {
      checked = checkEpisodeRecord(record);
    } catch (error) {
      return Promise.reject(error);
    }
    const run = this.queue.then(() => this.write(record, checked.recordedFrames, checked.cameras));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(record: EpisodeRecord, recordedFrames: number[], cameras: CameraLayout[]): Promise<EpisodeEntry> {
    const relDir = episodeDirName(record.task, record.seed);
    if (this.hasEpisode(record.task, record.seed)) {
      // Unlist before touching its files, so a crash mid-rewrite leaves it marked unfinished.
      await this.commit(this.manifest.episodes.filter((e) => e.dir !== relDir));
    }
    const episodeDir = join(this.dir, record.task, `ep${record.seed}`);
    await fs.rm(episodeDir, { recursive: true, force: true });
    await fs.mkdir(episodeDir, { recursive: true });

    const jobs: Array<{ name: string; encode: () => Uint8Array | string }> = [];
    const lowdim: LowDimFile = { frames: record.frames.map(plainFrame) };
    jobs.push({ name: LOWDIM_FILE, encode: () => `${JSON.stringify(lowdim)}\n` });
    jobs.push({ name: CAMERAS_FILE, encode: () => `${JSON.stringify(camerasFile(record, recordedFrames, cameras), null, 1)}\n` });
    for (const frame of recordedFrames) {
      for (const camera of record.images.get(frame) ?? []) {
        const { width, height } = camera;
        jobs.push({ name: imageFileName(frame, camera.name, 'rgb'), encode: () => encodeRgbPng(width, height, camera.rgb) });
        jobs.push({
          name: imageFileName(frame, camera.name, 'depth'),
          encode: () => encodeGray16Png(width, height, depthToMillimetres(camera.depthMetres)),
        });
        const mask = camera.mask;
        if (mask) jobs.push({ name: imageFileName(frame, camera.name, 'mask'), encode: () => encodeGray16Png(width, height, mask) });
      }
    }

    const files: FileEntry[] = new Array(jobs.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const index = next++;
        const job = jobs[index];
        const data = job.encode();
        await writeFileAtomic(join(episodeDir, job.name), data);
        const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
        files[index] = { name: job.name, bytes, sha256: sha256Hex(data) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_PARALLELISM, jobs.length) }, worker));

    const entry: EpisodeEntry = {
      task: record.task,
      variation: record.variation,
      seed: record.seed,
      goals: [...record.goals],
      frameCount: record.frames.length,
      keyframes: [...record.keyframes],
      recordedFrames,
      cameras: cameras.map((c) => c.name),
      status: 'complete',
      dir: relDir,
      files,
    };
    await this.commit([...this.manifest.episodes.filter((e) => e.dir !== relDir), entry]);
    return entry;
  }

  private async commit(episodes: EpisodeEntry[]): Promise<void> {
    const sorted = [...episodes].sort((a, b) => (a.task < b.task ? -1 : a.task > b.task ? 1 : a.seed - b.seed));
    const manifest: DatasetManifest = { format: DATASET_FORMAT, formatVersion: DATASET_FORMAT_VERSION, episodes: sorted };
    await writeJsonAtomic(join(this.dir, MANIFEST_FILE), manifest);
    this.manifest = manifest;
  }
}

/** Copies a frame to plain arrays so typed arrays serialize as JSON arrays and extra keys are dropped. */
function plainFrame(frame: EpisodeRecord['frames'][number]): LowDimFile['frames'][number] {
  return {
    timeSeconds: frame.timeSeconds,
    gripperPose: {
      positionMetres: [...frame.gripperPose.positionMetres] as [number, number, number],
      quaternion: [...frame.gripperPose.quaternion] as [number, number, number, number],
    },
    gripperOpen: frame.gripperOpen,
    ignoreCollisions: frame.ignoreCollisions,
    fingerWidthsMetres: [frame.fingerWidthsMetres[0], frame.fingerWidthsMetres[1]],
    jointPositionsRad: Array.from(frame.jointPositionsRad),
    jointVelocitiesRadPerS: Array.from(frame.jointVelocitiesRadPerS),
  };
}

function camerasFile(record: EpisodeRecord, recordedFrames: number[], cameras: CameraLayout[]): CamerasFile {
  return {
    cameras: cameras.map((layout, c) => ({
      name: layout.name,
      width: layout.width,
      height: layout.height,
      intrinsics: layout.intrinsics,
      hasMask: layout.hasMask,
      poses: recordedFrames.map((frame) => ({
        frame,
        worldFromCamera: Array.from(record.images.get(frame)![c].worldFromCamera),
      })),
    })),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}
