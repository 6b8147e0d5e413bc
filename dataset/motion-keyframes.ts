import {
  PeractError,
  assertFiniteArray,
  assertFiniteNumber,
  canonicalQuaternion,
  summariseValue,
  invalidArgument,
  quaternionAngle,
  type Quat,
  type Vec3,
} from '../core/index.js';

/**
 * Keyframes of a demonstration recorded on a real robot: tool poses at 10-30 Hz with sensor
 * noise and time stamps, instead of the simulator's exact joint velocities that
 * `discoverKeyframes` needs. Thresholds are in metres, degrees and seconds.
 *
 * Rules, for samples 0..n-1:
 * 1. Gripper. The open/closed signal is debounced: a change counts once the new state has held
 *    for `gripperHoldSeconds` (measured from its first sample to a later one), or until the
 *    episode ends (at `finish()`). The keyframe is the first sample of the new state. Chatter
 *    shorter than the hold is ignored; a chattering change is placed at the first sample of the
 *    run that held.
 * 2. Rest. A rest begins at sample i when every sample from i up to and including the first one
 *    at least `restSeconds` later stays within `restRadiusMetres` and `restAngleDeg` of sample
 *    i. The rest lasts while later samples stay within that ball around sample i; its samples
 *    do not begin new rests, and the first sample that leaves it may begin the next one. A rest
 *    is a keyframe at sample i (the moment of arrival) when the tool moved at least
 *    `minTravelMetres` or turned at least `minTurnDeg` between the previous keyframe (the first
 *    sample when there is none) and sample i.
 * 3. Merge. A rest keyframe followed by a gripper keyframe with no travel in between (every
 *    sample from the rest to the gripper change stays within `minTravelMetres` and
 *    `minTurnDeg` of the rest's pose: the arm arrived, then closed its gripper) is one action:
 *    only the gripper keyframe is kept.
 * 4. Last sample. At `finish()` the last sample is a keyframe when the tool moved or turned by
 *    the thresholds of rule 2 since the previous keyframe, or when there is no keyframe at all
 *    and there are at least 2 samples.
 *
 * Keyframes are strictly increasing indices in [1, n-1] (a rest or gripper change at sample 0
 * is never one), so they pass `checkKeyframes`. Rules 1 and 2 look ahead at most
 * `gripperHoldSeconds` and `restSeconds` plus the sample that leaves the rest, so the
 * incremental `MotionKeyframeDetector` confirms keyframes shortly after they happen;
 * `discoverMotionKeyframes` runs it over a whole recording and gives the same list.
 *
 * The defaults suit a Panda-sized arm recorded at ROS's usual 10-30 Hz: a rest is 0.3 s (3 samples
 * after arrival at 10 Hz) inside 4 mm and 3 degrees, which tolerates about +-1 mm of position
 * noise per axis, while an arm moving faster than about 1.5 cm/s never looks at rest.
 */

export interface MotionSample {
  /** Header-stamp time of the sample, seconds; non-decreasing. */
  timeSeconds: number;
  /** Tool (gripper) position and orientation [x,y,z,w] in the world frame. */
  positionMetres: readonly [number, number, number] | number[];
  quaternion: readonly [number, number, number, number] | number[];
  gripperOpen: boolean;
}

export interface MotionKeyframeOptions {
  /** The tool counts as at rest once it stays within restRadiusMetres/restAngleDeg of where the rest began for this long. Default 0.3 s. */
  restSeconds?: number;
  /** Default 0.004 m. */
  restRadiusMetres?: number;
  /** Default 3 degrees. */
  restAngleDeg?: number;
  /** A rest is a new keyframe only if the tool moved at least this far (or turned minTurnDeg) since the previous keyframe (or since the first sample). Default 0.015 m. */
  minTravelMetres?: number;
  /** Default 10 degrees. */
  minTurnDeg?: number;
  /** A gripper open/closed change counts once the new state has held this long (debounce of a chattering signal). Default 0.15 s. */
  gripperHoldSeconds?: number;
}

export const DEFAULT_MOTION_KEYFRAME_OPTIONS: Required<MotionKeyframeOptions> = Object.freeze({
  restSeconds: 0.3,
  restRadiusMetres: 0.004,
  restAngleDeg: 3,
  minTravelMetres: 0.015,
  minTurnDeg: 10,
  gripperHoldSeconds: 0.15,
});

/**
 * Slack on time comparisons: ROS stamps are seconds since 1970, where a double resolves about
 * 0.25 microseconds, so "held 0.3 s" must not fail on 0.29999997 s.
 */
const TIME_TOLERANCE_SECONDS = 1e-6;
const DEG = Math.PI / 180;

/** A keyframe found but not yet handed out (a rest may still merge into a gripper change). */
interface Candidate {
  index: number;
  kind: 'rest' | 'gripper';
  /** Rests: the first later sample beyond the travel thresholds of the rest's pose. */
  departedAt?: number;
}

/** Incremental detector, for a recorder that sees samples one at a time. */
export class MotionKeyframeDetector {
  private readonly options: Required<MotionKeyframeOptions>;
  private readonly restAngleRad: number;
  private readonly minTurnRad: number;
  private readonly times: number[] = [];
  private readonly positions: Vec3[] = [];
  private readonly quaternions: Quat[] = [];
  private readonly opens: boolean[] = [];
  /** The debounced gripper state, and the first sample of a different state still being held. */
  private gripperState = true;
  private gripperChangeFrom: number | null = null;
  /** The sample a confirmed rest began at, or null while looking for the next rest. */
  private restFrom: number | null = null;
  /** While looking: the earliest sample that may still begin a rest. */
  private restCandidate = 0;
  /** Found, not handed out yet, ascending. */
  private readonly candidates: Candidate[] = [];
  private readonly confirmed: number[] = [];
  private finished = false;

  constructor(options: MotionKeyframeOptions = {}) {
    this.options = resolveOptions(options);
    this.restAngleRad = this.options.restAngleDeg * DEG;
    this.minTurnRad = this.options.minTurnDeg * DEG;
  }

  /** Keyframes confirmed so far. */
  get keyframes(): readonly number[] {
    return this.confirmed.slice();
  }

  /** Number of samples pushed. */
  get length(): number {
    return this.times.length;
  }

  /** The smallest sample index that may still become a keyframe later (a recorder must keep images from here on). */
  get pendingFrom(): number {
    const n = this.times.length;
    if (this.finished) return n;
    let from = n - 1;
    if (this.candidates.length > 0) from = Math.min(from, this.candidates[0].index);
    if (this.gripperChangeFrom !== null) from = Math.min(from, this.gripperChangeFrom);
    if (this.restFrom === null) from = Math.min(from, this.restCandidate);
    return Math.max(1, from);
  }

  /**
   * Adds the next sample (validated: finite numbers, non-decreasing time, boolean gripper;
   * errors name the field `samples[i].…`). Returns keyframe indices newly confirmed by this
   * sample (indices into all samples pushed so far; may be empty).
   */
  push(sample: MotionSample): number[] {
    const i = this.times.length;
    if (this.finished) throw new PeractError('INVALID_ARGUMENT', 'the episode has finished; start a new detector for the next one', { field: `samples[${i}]` });
    const checked = this.checkSample(sample, i);
    this.times.push(checked.timeSeconds);
    this.positions.push(checked.positionMetres);
    this.quaternions.push(checked.quaternion);
    this.opens.push(checked.gripperOpen);
    if (i === 0) this.gripperState = checked.gripperOpen;
    for (const c of this.candidates) {
      if (c.kind === 'rest' && c.departedAt === undefined && this.moved(c.index, i)) c.departedAt = i;
    }
    this.updateGripper(i);
    this.updateRest(i);
    return this.handOut(false);
  }

  /** Ends the episode and returns the final keyframe list (see the last-frame rule). Idempotent. */
  finish(): number[] {
    if (this.finished) return this.confirmed.slice();
    // A change still being held lasted until the end of the episode.
    if (this.gripperChangeFrom !== null) this.addGripper(this.gripperChangeFrom);
    this.gripperChangeFrom = null;
    this.finished = true;
    this.handOut(true);
    const last = this.times.length - 1;
    if (last >= 1 && this.confirmed[this.confirmed.length - 1] !== last) {
      const previous = this.confirmed[this.confirmed.length - 1];
      if (previous === undefined || this.moved(previous, last)) this.confirmed.push(last);
    }
    return this.confirmed.slice();
  }

  private checkSample(sample: MotionSample, i: number): { timeSeconds: number; positionMetres: Vec3; quaternion: Quat; gripperOpen: boolean } {
    const at = `samples[${i}]`;
    if (typeof sample !== 'object' || sample === null) throw invalidArgument(at, `must be a MotionSample, got ${summariseValue(sample)}`);
    assertFiniteNumber(sample.timeSeconds, `${at}.timeSeconds`);
    const previous = this.times[i - 1];
    if (previous !== undefined && sample.timeSeconds < previous) {
      throw invalidArgument(`${at}.timeSeconds`, `must not be earlier than samples[${i - 1}].timeSeconds (${previous}), got ${sample.timeSeconds}`);
    }
    assertFiniteArray(sample.positionMetres, 3, `${at}.positionMetres`);
    const quaternion = canonicalQuaternion(sample.quaternion, `${at}.quaternion`);
    if (typeof sample.gripperOpen !== 'boolean') throw invalidArgument(`${at}.gripperOpen`, `must be a boolean, got ${summariseValue(sample.gripperOpen)}`);
    const p = sample.positionMetres;
    return { timeSeconds: sample.timeSeconds, positionMetres: [p[0], p[1], p[2]], quaternion, gripperOpen: sample.gripperOpen };
  }

  /** Rule 1: debounce, and a keyframe at the first sample of a state that held. */
  private updateGripper(i: number): void {
    const open = this.opens[i];
    if (open === this.gripperState) {
      this.gripperChangeFrom = null;
      return;
    }
    if (this.gripperChangeFrom === null) this.gripperChangeFrom = i;
    if (this.times[i] - this.times[this.gripperChangeFrom] >= this.options.gripperHoldSeconds - TIME_TOLERANCE_SECONDS) {
      this.addGripper(this.gripperChangeFrom);
      this.gripperState = open;
      this.gripperChangeFrom = null;
    }
  }

  /** Rule 2: follow the current rest, or look for the next one. */
  private updateRest(i: number): void {
    if (this.restFrom !== null) {
      if (this.withinRest(this.restFrom, i)) return;
      this.restFrom = null;
      this.restCandidate = i;
    }
    let from = this.restCandidate;
    if (!this.withinRest(from, i)) {
      from++;
      while (from < i && !this.restHolds(from, i)) from++;
    }
    this.restCandidate = from;
    if (this.times[i] - this.times[from] >= this.options.restSeconds - TIME_TOLERANCE_SECONDS) {
      this.restFrom = from;
      this.addRest(from);
    }
  }

  private addRest(index: number): void {
    if (index === 0) return;
    const previous = this.keyframeBefore(index);
    if (!this.moved(previous ?? 0, index)) return;
    const next = this.candidates.find((c) => c.index >= index);
    // Rule 3, when the gripper change was confirmed before the rest was.
    if (next?.kind === 'gripper' && this.stayed(index, next.index)) return;
    let departedAt: number | undefined;
    for (let j = index + 1; j < this.times.length && departedAt === undefined; j++) if (this.moved(index, j)) departedAt = j;
    this.insert({ index, kind: 'rest', ...(departedAt !== undefined ? { departedAt } : {}) });
  }

  private addGripper(index: number): void {
    if (index === 0) return;
    // Rule 3: the rest the arm arrived at before this change is the same action.
    let k = this.candidates.length - 1;
    while (k >= 0 && this.candidates[k].index > index) k--;
    const previous = this.candidates[k];
    if (previous?.kind === 'rest' && this.stayed(previous.index, index)) this.candidates.splice(k, 1);
    this.insert({ index, kind: 'gripper' });
  }

  private insert(candidate: Candidate): void {
    let k = this.candidates.length;
    while (k > 0 && this.candidates[k - 1].index > candidate.index) k--;
    this.candidates.splice(k, 0, candidate);
  }

  /** The latest keyframe (handed out or not) before `index`. */
  private keyframeBefore(index: number): number | undefined {
    for (let k = this.candidates.length - 1; k >= 0; k--) if (this.candidates[k].index < index) return this.candidates[k].index;
    return this.confirmed[this.confirmed.length - 1];
  }

  /**
   * Hands out candidates that nothing can change any more, in order: none may precede a sample
   * that could still begin a rest or a gripper change, and a rest must have been left (or a
   * gripper change begun after leaving it) so that it can no longer merge.
   */
  private handOut(all: boolean): number[] {
    const out: number[] = [];
    const n = this.times.length;
    const bound = all ? Infinity : Math.min(this.gripperChangeFrom ?? Infinity, this.restFrom === null ? this.restCandidate : Infinity);
    const changeFrom = this.gripperChangeFrom ?? n;
    while (this.candidates.length > 0) {
      const c = this.candidates[0];
      const settled = all || c.kind === 'gripper' || (c.departedAt !== undefined && c.departedAt <= changeFrom);
      if (c.index >= bound || !settled) break;
      this.candidates.shift();
      this.confirmed.push(c.index);
      out.push(c.index);
    }
    return out;
  }

  private distance(a: number, b: number): number {
    const p = this.positions[a];
    const q = this.positions[b];
    return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
  }

  /** Sample b is inside the rest ball of sample a. */
  private withinRest(a: number, b: number): boolean {
    return this.distance(a, b) <= this.options.restRadiusMetres && quaternionAngle(this.quaternions[a], this.quaternions[b]) <= this.restAngleRad;
  }

  /** Every sample in (a, b] is inside the rest ball of sample a. */
  private restHolds(a: number, b: number): boolean {
    for (let j = a + 1; j <= b; j++) if (!this.withinRest(a, j)) return false;
    return true;
  }

  /** The tool moved or turned by the keyframe thresholds between samples a and b. */
  private moved(a: number, b: number): boolean {
    return this.distance(a, b) >= this.options.minTravelMetres || quaternionAngle(this.quaternions[a], this.quaternions[b]) >= this.minTurnRad;
  }

  /** No sample in [a, b] moved or turned by the keyframe thresholds from sample a. */
  private stayed(a: number, b: number): boolean {
    for (let j = a + 1; j <= b; j++) if (this.moved(a, j)) return false;
    return true;
  }
}

/** Batch form: runs the detector over all samples. */
export function discoverMotionKeyframes(samples: readonly MotionSample[], options?: MotionKeyframeOptions): number[] {
  if (!Array.isArray(samples)) throw invalidArgument('samples', `must be an array of motion samples, got ${summariseValue(samples)}`);
  const detector = new MotionKeyframeDetector(options);
  for (const sample of samples) detector.push(sample);
  return detector.finish();
}

const OPTION_LIMITS: Record<keyof MotionKeyframeOptions, { min: number; minIncluded: boolean; max?: number; unit: string }> = {
  restSeconds: { min: 0, minIncluded: false, unit: 's' },
  restRadiusMetres: { min: 0, minIncluded: false, unit: 'm' },
  restAngleDeg: { min: 0, minIncluded: false, max: 180, unit: 'degrees' },
  minTravelMetres: { min: 0, minIncluded: false, unit: 'm' },
  minTurnDeg: { min: 0, minIncluded: false, max: 180, unit: 'degrees' },
  gripperHoldSeconds: { min: 0, minIncluded: true, unit: 's' },
};

function resolveOptions(options: MotionKeyframeOptions): Required<MotionKeyframeOptions> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgument('options', `must be an object of motion keyframe options, got ${summariseValue(options)}`);
  }
  const known = Object.keys(OPTION_LIMITS) as (keyof MotionKeyframeOptions)[];
  for (const key of Object.keys(options)) {
    if (!(known as string[]).includes(key)) throw invalidArgument(key, `is not a motion keyframe option; known: ${known.join(', ')}`);
  }
  const resolved = { ...DEFAULT_MOTION_KEYFRAME_OPTIONS };
  for (const key of known) {
    const value = options[key];
    if (value === undefined) continue;
    const { min, minIncluded, max, unit } = OPTION_LIMITS[key];
    const ok = typeof value === 'number' && Number.isFinite(value) && (minIncluded ? value >= min : value > min) && (max === undefined || value <= max);
    if (!ok) {
      const range = `${minIncluded ? '>=' : '>'} ${min}${max !== undefined ? ` and <= ${max}` : ''}`;
      throw invalidArgument(key, `must be a finite number ${range} (${unit}), got ${summariseValue(value)}`);
    }
    resolved[key] = value;
  }
  return resolved;
}
