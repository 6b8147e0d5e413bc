import type { CameraFrame, Pose } from '../core/index.js';

/**
 * In-memory records of demonstrations, close to core's `Observation` / `CameraFrame` so that an
 * `Observation` can be rebuilt for any recorded frame (see `observationAt`).
 */

/** The robot's low-dimensional state at one physics-level frame. */
export interface LowDimFrame {
  /** Simulation (or robot clock) time since the start of the episode. */
  timeSeconds: number;
  gripperPose: Pose;
  gripperOpen: boolean;
  /**
   * The collision flag of the action being executed at this frame (true = straight path that
   * ignores collisions). The action that ends at a keyframe carries the flag the agent must learn.
   */
  ignoreCollisions: boolean;
  /** Each finger's opening in metres. */
  fingerWidthsMetres: [number, number];
  jointPositionsRad: number[];
  jointVelocitiesRadPerS: number[];
}

/** One demonstration: every physics-level frame's low-dim state, images at recorded frames. */
export interface EpisodeRecord {
  task: string;
  variation: number;
  /** The seed that reproduces the episode; with `task` it names the episode. */
  seed: number;
  /** Language goals; the first is the one used for training unless a trainer picks another. */
  goals: string[];
  frames: LowDimFrame[];
  /** Keyframe indices into `frames` (see `discoverKeyframes`). */
  keyframes: number[];
  /**
   * Camera images by frame index, only at recorded frames. Every recorded frame holds the same
   * cameras. Loaded `worldFromCamera` is a number[16], row-major.
   */
  images: Map<number, CameraFrame[]>;
}

/** Size and checksum of one file of an episode, as recorded in the manifest. */
export interface FileEntry {
  /** File name inside the episode folder. */
  name: string;
  bytes: number;
  sha256: string;
}

/** What the manifest says about one finished episode. */
export interface EpisodeEntry {
  task: string;
  variation: number;
  seed: number;
  goals: string[];
  frameCount: number;
  keyframes: number[];
  /** Frames with camera images, ascending. */
  recordedFrames: number[];
  /** Camera names, in the order the images were given. */
  cameras: string[];
  /** Only finished episodes are listed; anything else on disk is redone by a writer. */
  status: 'complete';
  /** Episode folder relative to the dataset folder, `<task>/ep<seed>`. */
  dir: string;
  files: FileEntry[];
}

export const DATASET_FORMAT = 'peract-demos';
export const DATASET_FORMAT_VERSION = 1;

/** `DIR/manifest.json`. */
export interface DatasetManifest {
  format: typeof DATASET_FORMAT;
  formatVersion: typeof DATASET_FORMAT_VERSION;
  /** Sorted by task, then seed. */
  episodes: EpisodeEntry[];
}
