import {
  assertFiniteArray,
  assertFiniteNumber,
  assertPositiveInteger,
  checkedMatrix4,
  invalidArgument,
  type CameraFrame,
  type CameraIntrinsics,
} from '../core/index.js';
import { corruptFile } from '../core/index.js';
import { checkKeyframes } from './keyframes.js';
import { episodeDirName } from './layout.js';
import { SAFE_NAME } from './schema.js';
import type { DatasetManifest, EpisodeRecord } from './types.js';

/** Input checks for records about to be written, and consistency checks of a parsed manifest. */

export function checkTaskAndSeed(task: unknown, seed: unknown): void {
  if (typeof task !== 'string' || !SAFE_NAME.test(task)) {
    throw invalidArgument('task', `must be letters, digits, _ . - (not starting with . or -), got ${JSON.stringify(task)}`);
  }
  assertPositiveInteger(seed, 'seed', 0);
}

/** What the writer needs to know about each camera, taken from the first recorded frame. */
export interface CameraLayout {
  name: string;
  width: number;
  height: number;
  intrinsics: CameraIntrinsics;
  hasMask: boolean;
}

/**
 * Validates a record and returns its recorded frames (ascending) and camera layout. Every
 * recorded frame must hold the same cameras with the same size, intrinsics and mask presence;
 * frame 0 and every keyframe must have images (the observations training and evaluation start from).
 */
export function checkEpisodeRecord(record: EpisodeRecord): { recordedFrames: number[]; cameras: CameraLayout[] } {
  if (typeof record !== 'object' || record === null) throw invalidArgument('record', 'must be an EpisodeRecord');
  checkTaskAndSeed(record.task, record.seed);
  assertPositiveInteger(record.variation, 'variation', 0);
  if (!Array.isArray(record.goals) || record.goals.length === 0 || record.goals.some((g) => typeof g !== 'string' || g.length === 0)) {
    throw invalidArgument('goals', 'must be a non-empty array of non-empty strings');
  }
  if (!Array.isArray(record.frames) || record.frames.length === 0) throw invalidArgument('frames', 'must be a non-empty array');
  const jointCount = record.frames[0]?.jointPositionsRad?.length;
  record.frames.forEach((frame, i) => {
    const at = `frames[${i}]`;
    assertFiniteNumber(frame.timeSeconds, `${at}.timeSeconds`);
    assertFiniteArray(frame.gripperPose?.positionMetres, 3, `${at}.gripperPose.positionMetres`);
    assertFiniteArray(frame.gripperPose?.quaternion, 4, `${at}.gripperPose.quaternion`);
    if (typeof frame.gripperOpen !== 'boolean') throw invalidArgument(`${at}.gripperOpen`, 'must be a boolean');
    if (typeof frame.ignoreCollisions !== 'boolean') throw invalidArgument(`${at}.ignoreCollisions`, 'must be a boolean');
    assertFiniteArray(frame.fingerWidthsMetres, 2, `${at}.fingerWidthsMetres`);
    assertFiniteArray(frame.jointPositionsRad, jointCount, `${at}.jointPositionsRad`);
    assertFiniteArray(frame.jointVelocitiesRadPerS, jointCount, `${at}.jointVelocitiesRadPerS`);
  });
  checkKeyframes(record.keyframes, record.frames.length);

  if (!(record.images instanceof Map)) throw invalidArgument('images', 'must be a Map from frame index to CameraFrame[]');
  const recordedFrames = [...record.images.keys()].sort((a, b) => a - b);
  for (const required of [0, ...record.keyframes]) {
    if (!record.images.has(required)) throw invalidArgument(`images[${required}]`, 'is missing: frame 0 and every keyframe need images');
  }
  let layout: CameraLayout[] | undefined;
  for (const frame of recordedFrames) {
    const at = `images[${frame}]`;
    if (!Number.isInteger(frame) || frame < 0 || frame >= record.frames.length) {
      throw invalidArgument(at, `frame index must be an integer in [0, ${record.frames.length - 1}]`);
    }
    const cameras = record.images.get(frame) ?? [];
    if (!Array.isArray(cameras) || cameras.length === 0) throw invalidArgument(at, 'must be a non-empty array of CameraFrame');
    const here = cameras.map((camera, c) => checkCameraFrame(camera, `${at}[${c}]`));
    if (new Set(here.map((c) => c.name)).size !== here.length) throw invalidArgument(at, 'camera names must be unique');
    if (!layout) {
      layout = here;
      continue;
    }
    if (here.length !== layout.length) throw invalidArgument(at, `must hold the same ${layout.length} cameras as every recorded frame`);
    here.forEach((camera, c) => {
      const first = layout![c];
      const same =
        camera.name === first.name &&
        camera.width === first.width &&
        camera.height === first.height &&
        camera.hasMask === first.hasMask &&
        (['fx', 'fy', 'cx', 'cy'] as const).every((k) => camera.intrinsics[k] === first.intrinsics[k]);
      if (!same) {
        throw invalidArgument(`${at}[${c}]`, `camera '${camera.name}' differs from '${first.name}' of frame ${recordedFrames[0]} (name, size, intrinsics or mask presence)`);
      }
    });
  }
  return { recordedFrames, cameras: layout ?? [] };
}

function checkCameraFrame(camera: CameraFrame, at: string): CameraLayout {
  if (typeof camera?.name !== 'string' || !SAFE_NAME.test(camera.name)) {
    throw invalidArgument(`${at}.name`, `must be letters, digits, _ . - (not starting with . or -), got ${JSON.stringify(camera?.name)}`);
  }
  assertPositiveInteger(camera.width, `${at}.width`);
  assertPositiveInteger(camera.height, `${at}.height`);
  const pixels = camera.width * camera.height;
  if (!(camera.rgb instanceof Uint8Array) || camera.rgb.length !== pixels * 3) {
    throw invalidArgument(`${at}.rgb`, `must be a Uint8Array of ${pixels * 3} bytes (H*W*3)`);
  }
  if (!(camera.depthMetres instanceof Float32Array) || camera.depthMetres.length !== pixels) {
    throw invalidArgument(`${at}.depthMetres`, `must be a Float32Array of ${pixels} values (H*W)`);
  }
  if (camera.mask !== undefined && (!(camera.mask instanceof Uint16Array) || camera.mask.length !== pixels)) {
    throw invalidArgument(`${at}.mask`, `must be a Uint16Array of ${pixels} ids (H*W) when present`);
  }
  const k = camera.intrinsics;
  for (const key of ['fx', 'fy', 'cx', 'cy'] as const) assertFiniteNumber(k?.[key], `${at}.intrinsics.${key}`);
  checkedMatrix4(camera.worldFromCamera, `${at}.worldFromCamera`);
  return {
    name: camera.name,
    width: camera.width,
    height: camera.height,
    intrinsics: { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy },
    hasMask: camera.mask !== undefined,
  };
}

/** Cross-field checks zod cannot express; problems are CORRUPT_FILE on the manifest. */
export function checkManifestConsistency(path: string, manifest: DatasetManifest): void {
  const seen = new Set<string>();
  manifest.episodes.forEach((entry, e) => {
    const at = `episodes[${e}] (${entry.task} seed ${entry.seed})`;
    const problem = episodeEntryProblem(entry);
    if (problem) throw corruptFile(path, `dataset manifest ${at}: ${problem}`);
    const key = episodeDirName(entry.task, entry.seed);
    if (seen.has(key)) throw corruptFile(path, `dataset manifest ${at}: listed twice`);
    seen.add(key);
  });
}

function episodeEntryProblem(entry: DatasetManifest['episodes'][number]): string | undefined {
  if (entry.dir !== episodeDirName(entry.task, entry.seed)) return `dir must be '${episodeDirName(entry.task, entry.seed)}', got '${entry.dir}'`;
  const increasing = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x > xs[i - 1]);
  if (!increasing(entry.keyframes) || entry.keyframes.some((k) => k < 1 || k >= entry.frameCount)) {
    return 'keyframes must be increasing frame indices in [1, frameCount - 1]';
  }
  if (!increasing(entry.recordedFrames) || entry.recordedFrames.some((f) => f >= entry.frameCount)) {
    return 'recordedFrames must be increasing frame indices below frameCount';
  }
  if (new Set(entry.files.map((f) => f.name)).size !== entry.files.length) return 'a file is listed twice';
  return undefined;
}
