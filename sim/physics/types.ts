import type { Pose } from '../../core/index.js';

/**
 * The physics engine behind the simulator, seen from the rest of sim/. Nothing here names the
 * engine (MuJoCo today), so it can be swapped without touching callers.
 *
 * Gripper convention (Panda-like, the same frame as PerAct's gripper pose / RLBench's Panda_tip):
 * - The hand frame's origin is the tool point: centred between the two finger pads, 10 mm behind
 *   the fingertips (the pads span local z from -40 mm to +10 mm).
 * - The gripper approaches along its local +z (the fingertips point along +z).
 * - The fingers slide along local y: the left finger's inner face sits at y = +opening, the right
 *   finger's at y = -opening, each opening 0 - 0.04 m.
 * - Above the fingers (local z < -0.04) sits a palm box 0.04 x 0.2 x 0.03 m.
 */
export interface PhysicsWorld {
  /** Seconds advanced by one `step()`. */
  readonly timestepSec: number;
  /** Simulated time since creation (or since the restored state's creation), seconds. */
  readonly timeSec: number;

  /** Advances `n` (default 1) physics steps. */
  step(n?: number): void;

  /** Scene body names, in scene order. */
  bodyNames(): string[];
  /** World pose of a scene body. */
  bodyPose(name: string): Pose;
  /** Position of a jointed body's joint: metres (prismatic) or radians (revolute). */
  jointValue(bodyName: string): number;

  /**
   * Where the hand should go. Each step the hand moves towards the target by at most the
   * configured linear and angular speed (so a far target is reached smoothly, not by a jump that
   * would tunnel through objects); `teleport` puts it there at once, at rest (use it only when
   * nothing is in the way or held, e.g. at reset).
   * The hand is a dynamic body dragged by a stiff spring to the commanded pose, so it lags that
   * pose by ~2 mm at 0.5 m/s and stops where it meets something immovable.
   */
  setHandTarget(pose: Pose, options?: { teleport?: boolean }): void;
  /**
   * True once the commanded pose has reached the target and the hand is within 1 mm and 0.01 rad
   * of it. It may stay false while the hand is blocked: bound any loop that waits on it.
   */
  handAtTarget(): boolean;
  /** Current (measured) hand tool-point pose. */
  handPose(): Pose;
  /**
   * Commands each finger's opening, 0 (closed) to 0.04 m. The fingers are position-controlled
   * joints with a force limit, so they push objects and stall on them. A smaller value than the
   * previous command starts a close (which may grasp); a larger one opens (and releases).
   */
  setFingerOpening(metresEach: number): void;
  /** Measured [left, right] finger openings in metres. */
  fingerOpenings(): [number, number];

  /**
   * The scene body attached to the hand, or null. RLBench-style attach-on-close: while the gripper
   * closes (for `graspWindowSec` after a close command), a `graspable` body touched by the inner
   * pads of both fingers is welded to the hand; a jointed body (a drawer through its handle) then
   * follows the hand along its joint only. Opening the fingers releases it.
   */
  heldBody(): string | null;

  /**
   * Pairs of bodies in contact now (penetrating or touching), each pair once, names sorted within
   * and across pairs. Gripper parts are named by `GRIPPER_BODY_NAMES`.
   */
  contacts(): ContactPair[];

  /** Complete dynamic state (engine state, hand target, grasp bookkeeping). */
  saveState(): Float64Array;
  /** Restores a state from `saveState()` of a world built from the same scene and options. */
  restoreState(state: Float64Array): void;

  /** Frees the engine's memory; the world cannot be used afterwards. */
  dispose(): void;
}

export interface ContactPair {
  a: string;
  b: string;
}

export interface PhysicsOptions {
  /** Physics step, seconds, in (0, 0.01]. Default 0.002. */
  timestepSec?: number;
  /** Hand pose at creation. Default: 1 m above the origin, pointing down (+z of the hand = -z world). */
  initialHandPose?: Pose;
  /** Initial finger opening, metres each. Default 0.04 (open). */
  initialFingerOpeningMetres?: number;
  /** Hand speed limit towards its target. Default 0.5 m/s. */
  handLinearSpeedMetresPerSec?: number;
  /** Hand angular speed limit towards its target. Default pi rad/s. */
  handAngularSpeedRadPerSec?: number;
  /** How long after a close command a grasp can still start (fingers close at 0.15 m/s). Default 1 s. */
  graspWindowSec?: number;
}

/** Names `contacts()` uses for the gripper's parts; scene body names must not start with `gripper/`. */
export const GRIPPER_BODY_NAMES = {
  hand: 'gripper/hand',
  leftFinger: 'gripper/left_finger',
  rightFinger: 'gripper/right_finger',
} as const;

export const FINGER_MAX_OPENING_METRES = 0.04;
