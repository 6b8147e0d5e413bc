/**
 * The contracts every part of the runtime shares. Units: metres, radians, seconds.
 * World frame: right-handed, z up, robot base at the origin.
 */

/** A point or direction in metres, `[x, y, z]`. */
export type Vec3 = [number, number, number];

/** A unit quaternion `[x, y, z, w]`, normalized with `w >= 0` (see `canonicalQuaternion`). */
export type Quat = [number, number, number, number];

/** A rigid pose in the world frame. */
export interface Pose {
  positionMetres: Vec3;
  quaternion: Quat;
}

/** Pinhole intrinsics in pixels, as in ROS CameraInfo K. */
export interface CameraIntrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

/**
 * One calibrated RGB-D image. The camera frame is the ROS optical frame (+z forward, +x right,
 * +y down); `worldFromCamera` is a 4x4 row-major rigid transform (16 numbers).
 */
export interface CameraFrame {
  name: string;
  width: number;
  height: number;
  /** H*W*3 bytes, row-major, top row first. */
  rgb: Uint8Array;
  /** H*W depth along the optical axis in metres; 0 or non-finite means no reading. */
  depthMetres: Float32Array;
  intrinsics: CameraIntrinsics;
  worldFromCamera: ArrayLike<number>;
  /** Optional H*W object ids (0 = background), from the simulator. */
  mask?: Uint16Array;
}

/** What the agent sees at one step. */
export interface Observation {
  cameras: CameraFrame[];
  gripperPose: Pose;
  gripperOpen: boolean;
  /** Each finger's opening in metres (0 - 0.04 for the Panda). */
  fingerWidthsMetres: [number, number];
  /** Index of the current agent step in the episode (0-based). */
  step: number;
  /** Joint positions in radians, when the robot reports them. */
  jointPositionsRad?: number[];
}

/** The next-best gripper pose and what to do there. */
export interface Action {
  positionMetres: Vec3;
  quaternion: Quat;
  gripperOpen: boolean;
  /** True: move in a straight line regardless of contacts (PerAct's collision flag = ignore). */
  ignoreCollisions: boolean;
}

export interface ResetOptions {
  task: string;
  variation?: number;
  seed?: number;
}

export interface ResetResult {
  observation: Observation;
  /** The language goal of this episode. */
  goal: string;
  variation: number;
  /**
   * What the goal names, by placeholder (`colour`, `count`, `position`, `side`, ...), for filling
   * paraphrased goals (agent/evaluation/paraphrases.ts). Environments that cannot tell leave it unset.
   */
  slots?: Readonly<Record<string, string>>;
}

export interface StepResult {
  observation: Observation;
  success: boolean;
  done: boolean;
  /**
   * Why the step failed (planner failure, unreachable, a move stopped by a contact, ...), when it
   * did. Unless `done` or `refused`, the action ran in part and the episode goes on from there.
   */
  failureReason?: string;
  /**
   * The action was refused before anything moved (no motion plan reaches it): the scene is as
   * it was and, unless `done`, the episode goes on. Environments that cannot tell leave it unset.
   */
  refused?: boolean;
}

/**
 * An environment the agent acts in: the simulator (SimEnv) or a real robot (RosEnv).
 * Agent code sees only this interface.
 */
export interface Env {
  /** Task names this environment can reset to. */
  readonly tasks: readonly string[];
  reset(options: ResetOptions): Promise<ResetResult>;
  step(action: Action): Promise<StepResult>;
  close(): Promise<void>;
}
