import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PeractError, invalidArgument, type CameraFrame } from '../core/index.js';
import { corruptFile, parseJsonChecked, readFileVerified } from '../core/index.js';
import { depthFromMillimetres } from '../perception/backproject.js';
import { decodeGray16Png, decodeRgbPng } from './png.js';
import { CAMERAS_FILE, LOWDIM_FILE, MANIFEST_FILE, imageFileName, type ImageKind } from './layout.js';
import { camerasFileSchema, lowDimFileSchema, type CamerasFile } from './schema.js';
import { readManifest } from './manifest.js';
import type { DatasetManifest, EpisodeEntry, EpisodeRecord, FileEntry, LowDimFrame } from './types.js';

/** A dataset opened for reading; every file it reads is checked against the manifest's size and sha256. */
export interface Dataset {
  readonly dir: string;
  readonly manifest: DatasetManifest;
  /** The manifest entry of one episode, if it is listed. */
  findEpisode(task: string, seed: number): EpisodeEntry | undefined;
  /**
   * Loads one episode. `imageFrames` limits which recorded frames' images are read (default
   * all; `[]` for low-dim state only). Reports missing, truncated, tampered and undecodable
   * files as `CORRUPT_FILE` naming the file.
   */
  loadEpisode(entry: EpisodeEntry, options?: LoadEpisodeOptions): Promise<EpisodeRecord>;
}

export interface LoadEpisodeOptions {
  imageFrames?: readonly number[];
  /** Read the segmentation masks where recorded (default true; training does not use them). */
  masks?: boolean;
}

export async function openDataset(dir: string): Promise<Dataset> {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('dir', 'must be a non-empty path');
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new PeractError('NOT_FOUND', 'no dataset folder here', { field: dir });
  const manifest = await readManifest(join(dir, MANIFEST_FILE));
  return new DatasetReader(dir, manifest);
}

class DatasetReader implements Dataset {
  constructor(
    readonly dir: string,
    readonly manifest: DatasetManifest,
  ) {}

  findEpisode(task: string, seed: number): EpisodeEntry | undefined {
    return this.manifest.episodes.find((e) => e.task === task && e.seed === seed);
  }

  async loadEpisode(entry: EpisodeEntry, options: LoadEpisodeOptions = {}): Promise<EpisodeRecord> {
    // Trust only the manifest as read from disk, not an entry object the caller may have built.
    const listed = this.findEpisode(entry?.task, entry?.seed);
    if (!listed) throw invalidArgument('entry', `episode ${entry?.task} seed ${entry?.seed} is not in this dataset`);
    const imageFrames = options.imageFrames ?? listed.recordedFrames;
    for (const frame of imageFrames) {
      if (!listed.recordedFrames.includes(frame)) {
        throw invalidArgument('imageFrames', `frame ${frame} has no images; recorded frames are ${listed.recordedFrames.join(', ')}`);
      }
    }
    const episodeDir = join(this.dir, listed.task, `ep${listed.seed}`);
    const files = new Map(listed.files.map((f) => [f.name, f]));
    const read = (name: string, what: string): Promise<Buffer> => {
      const file: FileEntry | undefined = files.get(name);
      const path = join(episodeDir, name);
      if (!file) throw corruptFile(join(this.dir, MANIFEST_FILE), `dataset manifest lists no ${name} for ${listed.dir}`);
      return readFileVerified(path, file, what);
    };

    const lowdimPath = join(episodeDir, LOWDIM_FILE);
    const lowdim = parseJsonChecked(lowdimPath, await read(LOWDIM_FILE, 'episode low-dim state'), lowDimFileSchema, 'episode low-dim state');
    if (lowdim.frames.length !== listed.frameCount) {
      throw corruptFile(lowdimPath, `episode low-dim state has ${lowdim.frames.length} frames, the manifest says ${listed.frameCount}`);
    }
    const camerasPath = join(episodeDir, CAMERAS_FILE);
    const cameras = parseJsonChecked(camerasPath, await read(CAMERAS_FILE, 'episode camera file'), camerasFileSchema, 'episode camera file');
    checkCamerasAgainstEntry(camerasPath, cameras, listed);

    const images = new Map<number, CameraFrame[]>();
    for (const frame of imageFrames) {
      const frameImages = await Promise.all(
        cameras.cameras.map(async (camera) => {
          const { width, height } = camera;
          const image = async <T>(kind: ImageKind, decodeBytes: (bytes: Buffer) => T): Promise<T> => {
            const name = imageFileName(frame, camera.name, kind);
            const bytes = await read(name, `${kind} image`);
            try {
              return decodeBytes(bytes);
            } catch (error) {
              throw corruptFile(join(episodeDir, name), `${kind} image is a bad PNG: ${(error as Error).message}`, error);
            }
          };
          const rgb = await image('rgb', (b) => decodeRgbPng(b, width, height));
          const depthMm = await image('depth', (b) => decodeGray16Png(b, width, height));
          const mask = camera.hasMask && options.masks !== false ? await image('mask', (b) => decodeGray16Png(b, width, height)) : undefined;
          const pose = camera.poses.find((p) => p.frame === frame)!;
          const out: CameraFrame = {
            name: camera.name,
            width,
            height,
            rgb,
            depthMetres: depthFromMillimetres(depthMm),
            intrinsics: { ...camera.intrinsics },
            worldFromCamera: [...pose.worldFromCamera],
          };
          if (mask) out.mask = mask;
          return out;
        }),
      );
      images.set(frame, frameImages);
    }

    return {
      task: listed.task,
      variation: listed.variation,
      seed: listed.seed,
      goals: [...listed.goals],
      frames: lowdim.frames as LowDimFrame[],
      keyframes: [...listed.keyframes],
      images,
    };
  }
}

function checkCamerasAgainstEntry(path: string, file: CamerasFile, entry: EpisodeEntry): void {
  const names = file.cameras.map((c) => c.name);
  if (names.join('\n') !== entry.cameras.join('\n')) {
    throw corruptFile(path, `episode camera file lists cameras [${names.join(', ')}], the manifest [${entry.cameras.join(', ')}]`);
  }
  for (const camera of file.cameras) {
    const frames = camera.poses.map((p) => p.frame);
    if (frames.join(',') !== entry.recordedFrames.join(',')) {
      throw corruptFile(path, `episode camera file has poses of '${camera.name}' at frames [${frames.join(', ')}], the manifest records [${entry.recordedFrames.join(', ')}]`);
    }
  }
}
