import { assertPositiveInteger, invalidArgument } from '../core/index.js';

/**
 * PerAct's keyframe rule (ARM / PerAct `keypoint_discovery` with `_is_stopped`) and the
 * demo augmentation that turns keyframes into training pairs.
 */

/** What the keyframe rule looks at in each physics-level frame of a demonstration. */
export interface KeyframeState {
  gripperOpen: boolean;
  jointVelocitiesRadPerS: ArrayLike<number>;
}

export interface KeyframeOptions {
  /** A frame counts as stopped when every |joint velocity| <= this (PerAct: 0.1). */
  stoppingDeltaRadPerS?: number;
  /**
   * After a stop, this many following frames cannot be stops (PerAct's `stopped_buffer`, 4):
   * the next stop is at least `stopBufferFrames + 1` frames later.
   */
  stopBufferFrames?: number;
}

export const DEFAULT_STOPPING_DELTA_RAD_PER_S = 0.1;
export const DEFAULT_STOP_BUFFER_FRAMES = 4;
/** PerAct's `demo_augmentation_every_n`. */
export const DEFAULT_AUGMENTATION_EVERY = 10;

/**
 * Keyframe indices of a demonstration, exactly as PerAct computes them. Frame i > 0 is a
 * keyframe when the gripper open state differs from frame i-1, when it is the last frame, or
 * when the arm stopped: all joint velocities within the threshold, the gripper unchanged over
 * i-2..i+1, i is not the second-to-last frame, and the stop buffer has run out. If the last two
 * keyframes are adjacent the earlier one is dropped.
 *
 * Faithful to the Python also where it is odd: the stop check runs at frame 0 too (a stop
 * there is never a keyframe but does arm the buffer), and at frames 0 and 1 the look-back
 * frames i-1 / i-2 wrap around to the end of the demo, as Python's negative indices do. Frames
 * of the same demo give the same keyframes as PerAct would on the same states.
 */
export function discoverKeyframes(frames: readonly KeyframeState[], options: KeyframeOptions = {}): number[] {
  if (!Array.isArray(frames)) throw invalidArgument('frames', 'must be an array of frame states');
  const delta = options.stoppingDeltaRadPerS ?? DEFAULT_STOPPING_DELTA_RAD_PER_S;
  if (typeof delta !== 'number' || !(delta >= 0) || !Number.isFinite(delta)) {
    throw invalidArgument('stoppingDeltaRadPerS', `must be a finite number >= 0, got ${String(delta)}`);
  }
  const bufferFrames = options.stopBufferFrames ?? DEFAULT_STOP_BUFFER_FRAMES;
  assertPositiveInteger(bufferFrames, 'stopBufferFrames', 0);
  frames.forEach((frame, i) => {
    if (typeof frame?.gripperOpen !== 'boolean') throw invalidArgument(`frames[${i}].gripperOpen`, 'must be a boolean');
    const v = frame.jointVelocitiesRadPerS;
    if (!v || typeof v.length !== 'number') throw invalidArgument(`frames[${i}].jointVelocitiesRadPerS`, 'must be an array of numbers');
  });

  const n = frames.length;
  // Python's demo[i - k] for i - k < 0 reads from the end.
  const openAt = (i: number): boolean => frames[((i % n) + n) % n].gripperOpen;
  const keyframes: number[] = [];
  if (n === 0) return keyframes;
  let prevOpen = frames[0].gripperOpen;
  let stoppedBuffer = 0;
  for (let i = 0; i < n; i++) {
    const open = frames[i].gripperOpen;
    const gripperUnchanged = i < n - 2 && open === openAt(i + 1) && open === openAt(i - 1) && openAt(i - 2) === openAt(i - 1);
    const stopped =
      stoppedBuffer <= 0 && allWithin(frames[i].jointVelocitiesRadPerS, delta) && i !== n - 2 && gripperUnchanged;
    stoppedBuffer = stopped ? bufferFrames : stoppedBuffer - 1;
    const last = i === n - 1;
    if (i !== 0 && (open !== prevOpen || last || stopped)) keyframes.push(i);
    prevOpen = open;
  }
  if (keyframes.length > 1 && keyframes[keyframes.length - 1] - 1 === keyframes[keyframes.length - 2]) {
    keyframes.splice(keyframes.length - 2, 1);
  }
  return keyframes;
}

/** numpy.allclose(v, 0, atol=delta): NaN is never close. */
function allWithin(values: ArrayLike<number>, delta: number): boolean {
  for (let j = 0; j < values.length; j++) {
    if (!(Math.abs(values[j]) <= delta)) return false;
  }
  return true;
}

/** One behaviour-cloning sample: the observation at `observationFrame`, the pose at `keyframe` as target. */
export interface TrainingPair {
  observationFrame: number;
  keyframe: number;
  /**
   * How many times PerAct's replay buffer holds this pair. Each augmentation start frame adds
   * the whole chain start -> next keyframe -> following keyframes, so the keyframe-to-keyframe
   * pairs repeat once per earlier start; a trainer that samples uniformly from PerAct's buffer
   * weights pairs by this.
   */
  copies: number;
}

/**
 * The training pairs of PerAct's demo augmentation. Start frames are 0, every, 2*every, ...
 * below the last frame; a start at frame i targets the first keyframe after i, then the chain
 * continues from keyframe to keyframe. So keyframe k_j is targeted from k_{j-1} (frame 0 for
 * the first keyframe) and from every start frame in between. Pairs are unique, ordered by
 * keyframe then observation frame.
 */
export function trainingPairs(
  keyframes: readonly number[],
  nFrames: number,
  every: number = DEFAULT_AUGMENTATION_EVERY,
): TrainingPair[] {
  assertPositiveInteger(nFrames, 'nFrames');
  assertPositiveInteger(every, 'every');
  checkKeyframes(keyframes, nFrames);
  const isStart = (i: number): boolean => i % every === 0 && i <= nFrames - 2;
  const startsUpTo = (i: number): number => Math.floor(Math.min(i, nFrames - 2) / every) + 1;
  const pairs: TrainingPair[] = [];
  let previous = 0;
  keyframes.forEach((keyframe, j) => {
    // The chain pair (previous keyframe -> this one) comes once from every start at or before it.
    pairs.push({ observationFrame: previous, keyframe, copies: j === 0 ? 1 : startsUpTo(previous) });
    const firstStart = Math.floor(previous / every) * every + every;
    for (let i = firstStart; i < keyframe; i += every) {
      if (isStart(i)) pairs.push({ observationFrame: i, keyframe, copies: 1 });
    }
    previous = keyframe;
  });
  return pairs;
}

/**
 * Frames whose camera images a dataset stores: frame 0, every `every`-th frame, and every
 * keyframe (a superset of the observation frames of `trainingPairs`), ascending.
 */
export function recordedFrames(
  keyframes: readonly number[],
  nFrames: number,
  every: number = DEFAULT_AUGMENTATION_EVERY,
): number[] {
  assertPositiveInteger(nFrames, 'nFrames');
  assertPositiveInteger(every, 'every');
  checkKeyframes(keyframes, nFrames);
  const frames = new Set<number>(keyframes);
  for (let i = 0; i < nFrames; i += every) frames.add(i);
  return [...frames].sort((a, b) => a - b);
}

/** Keyframes must be strictly increasing integers in [1, nFrames - 1]. */
export function checkKeyframes(keyframes: readonly number[], nFrames: number, field = 'keyframes'): void {
  if (!Array.isArray(keyframes)) throw invalidArgument(field, 'must be an array of frame indices');
  keyframes.forEach((k, j) => {
    if (!Number.isInteger(k) || k < 1 || k > nFrames - 1) {
      throw invalidArgument(`${field}[${j}]`, `must be an integer in [1, ${nFrames - 1}], got ${String(k)}`);
    }
    if (j > 0 && k <= keyframes[j - 1]) {
      throw invalidArgument(`${field}[${j}]`, `must be greater than the previous keyframe ${keyframes[j - 1]}`);
    }
  });
}
