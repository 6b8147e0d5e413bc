import { z } from 'zod';
import { DATASET_FORMAT, DATASET_FORMAT_VERSION } from './types.js';

/** zod schemas of the three JSON files of a dataset; the loader trusts nothing it has not parsed. */

const finite = z.number().refine(Number.isFinite, 'must be finite');
const frameIndex = z.number().int().min(0);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');
/** Names that are safe as one path segment on every platform. */
export const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const safeName = z.string().regex(SAFE_NAME, 'must be letters, digits, _ . - (not starting with . or -)');

export const fileEntrySchema = z.object({
  name: safeName,
  bytes: z.number().int().min(0),
  sha256,
});

export const episodeEntrySchema = z.object({
  task: safeName,
  variation: z.number().int().min(0),
  seed: z.number().int().min(0),
  goals: z.array(z.string()).min(1),
  frameCount: z.number().int().min(1),
  keyframes: z.array(frameIndex),
  recordedFrames: z.array(frameIndex),
  cameras: z.array(safeName),
  status: z.literal('complete'),
  dir: z.string(),
  files: z.array(fileEntrySchema),
});

export const manifestSchema = z.object({
  format: z.literal(DATASET_FORMAT),
  formatVersion: z.literal(DATASET_FORMAT_VERSION),
  episodes: z.array(episodeEntrySchema),
});

const vec3 = z.tuple([finite, finite, finite]);
const quat = z.tuple([finite, finite, finite, finite]);

export const lowDimFrameSchema = z.object({
  timeSeconds: finite,
  gripperPose: z.object({ positionMetres: vec3, quaternion: quat }),
  gripperOpen: z.boolean(),
  ignoreCollisions: z.boolean(),
  fingerWidthsMetres: z.tuple([finite, finite]),
  jointPositionsRad: z.array(finite),
  jointVelocitiesRadPerS: z.array(finite),
});

export const lowDimFileSchema = z.object({
  frames: z.array(lowDimFrameSchema).min(1),
});

export const camerasFileSchema = z.object({
  cameras: z.array(
    z.object({
      name: safeName,
      width: z.number().int().min(1),
      height: z.number().int().min(1),
      intrinsics: z.object({ fx: finite, fy: finite, cx: finite, cy: finite }),
      hasMask: z.boolean(),
      poses: z.array(z.object({ frame: frameIndex, worldFromCamera: z.array(finite).length(16) })),
    }),
  ),
});

export type LowDimFile = z.infer<typeof lowDimFileSchema>;
export type CamerasFile = z.infer<typeof camerasFileSchema>;
