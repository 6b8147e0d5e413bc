import { describe, expect, it } from 'vitest';
import { PeractError, Rng } from '../../core/index.js';
import { checkKeyframes } from '../../dataset/keyframes.js';
import {
  DEFAULT_MOTION_KEYFRAME_OPTIONS,
  MotionKeyframeDetector,
  discoverMotionKeyframes,
  type MotionKeyframeOptions,
  type MotionSample,
} from '../../dataset/motion-keyframes.js';

type Vec = [number, number, number];

/** A pose the tool reaches at `timeSeconds`, moving in a straight line from the previous one. */
interface Waypoint {
  timeSeconds: number;
  positionMetres: Vec;
  yawDeg: number;
}

const HOME: Vec = [0.3, 0, 0.45];
const HOVER: Vec = [0.5, 0.1, 0.25];
const GRASP: Vec = [0.5, 0.1, 0.1];
const LIFTED: Vec = [0.5, 0.1, 0.25];
const PLACE: Vec = [0.35, -0.2, 0.12];
const RETREAT: Vec = [0.35, -0.2, 0.3];

/**
 * A pick and place: rest at home, move to a hover pose and rest, descend and rest, close the
 * gripper at 2.8 s, lift, move, rest, open at 5.4 s, retreat. Every move is at 0.3-0.37 m/s.
 */
const PICK: Waypoint[] = [
  { timeSeconds: 0, positionMetres: HOME, yawDeg: 0 },
  { timeSeconds: 0.5, positionMetres: HOME, yawDeg: 0 },
  { timeSeconds: 1.5, positionMetres: HOVER, yawDeg: 30 },
  { timeSeconds: 2.0, positionMetres: HOVER, yawDeg: 30 },
  { timeSeconds: 2.5, positionMetres: GRASP, yawDeg: 30 },
  { timeSeconds: 3.5, positionMetres: GRASP, yawDeg: 30 },
  { timeSeconds: 4.0, positionMetres: LIFTED, yawDeg: 30 },
  { timeSeconds: 5.0, positionMetres: PLACE, yawDeg: -20 },
  { timeSeconds: 6.0, positionMetres: PLACE, yawDeg: -20 },
  { timeSeconds: 6.5, positionMetres: RETREAT, yawDeg: -20 },
];
const CLOSE_SECONDS = 2.8;
const OPEN_SECONDS = 5.4;
/** Brief flips of the gripper signal (0.1 s, shorter than the 0.15 s hold). */
const CHATTER: [number, number][] = [
  [2.6, 2.7],
  [4.5, 4.6],
  [5.2, 5.3],
];

interface PickOptions {
  rateHz: number;
  noiseMetres?: number;
  chatter?: boolean;
  /** Cosine speed profile (slow arrival) instead of constant speed. */
  eased?: boolean;
  startSeconds?: number;
  seed?: number;
}

function yawQuaternion(yawDeg: number): [number, number, number, number] {
  const h = (yawDeg * Math.PI) / 360;
  return [0, 0, Math.sin(h), Math.cos(h)];
}

function poseAt(waypoints: Waypoint[], t: number, eased: boolean): { positionMetres: Vec; yawDeg: number } {
  let k = 1;
  while (k < waypoints.length - 1 && t > waypoints[k].timeSeconds) k++;
  const a = waypoints[k - 1];
  const b = waypoints[k];
  const linear = Math.min(1, Math.max(0, (t - a.timeSeconds) / (b.timeSeconds - a.timeSeconds)));
  const u = eased ? (1 - Math.cos(Math.PI * linear)) / 2 : linear;
  const lerp = (x: number, y: number): number => x + (y - x) * u;
  return {
    positionMetres: [lerp(a.positionMetres[0], b.positionMetres[0]), lerp(a.positionMetres[1], b.positionMetres[1]), lerp(a.positionMetres[2], b.positionMetres[2])],
    yawDeg: lerp(a.yawDeg, b.yawDeg),
  };
}

function pickSamples(o: PickOptions): MotionSample[] {
  const rng = new Rng(o.seed ?? 7);
  const noise = o.noiseMetres ?? 0;
  const end = PICK[PICK.length - 1].timeSeconds;
  const samples: MotionSample[] = [];
  for (let k = 0; k <= Math.round(end * o.rateHz); k++) {
    const t = k / o.rateHz;
    const { positionMetres, yawDeg } = poseAt(PICK, t, o.eased === true);
    let open = t < CLOSE_SECONDS || t >= OPEN_SECONDS;
    if (o.chatter && CHATTER.some(([from, to]) => t >= from && t < to)) open = !open;
    samples.push({
      timeSeconds: (o.startSeconds ?? 0) + t,
      positionMetres: positionMetres.map((v) => v + (noise > 0 ? rng.uniform(-noise, noise) : 0)),
      quaternion: yawQuaternion(yawDeg),
      gripperOpen: open,
    });
  }
  return samples;
}

/** Hover arrival, gripper close, gripper open, last sample. */
function expectedPick(rateHz: number): number[] {
  return [1.5, CLOSE_SECONDS, OPEN_SECONDS, 6.5].map((t) => Math.round(t * rateHz));
}

/** The tool holds still for `dwellSeconds` at each pose and jumps between them in one sample. */
function jumpSamples(rateHz: number, dwellSeconds: number, poses: { positionMetres: Vec; yawDeg: number; gripperOpen: boolean }[]): MotionSample[] {
  const per = Math.round(dwellSeconds * rateHz);
  return poses.flatMap((pose, j) =>
    Array.from({ length: per }, (_, k) => ({
      timeSeconds: (j * per + k) / rateHz,
      positionMetres: [...pose.positionMetres],
      quaternion: yawQuaternion(pose.yawDeg),
      gripperOpen: pose.gripperOpen,
    })),
  );
}

const JUMPS = [
  { positionMetres: [0.4, 0, 0.3] as Vec, yawDeg: 0, gripperOpen: true },
  { positionMetres: [0.45, 0, 0.3] as Vec, yawDeg: 0, gripperOpen: true }, // 5 cm
  { positionMetres: [0.45, 0, 0.3] as Vec, yawDeg: 20, gripperOpen: true }, // a turn only
  { positionMetres: [0.45, 0, 0.27] as Vec, yawDeg: 20, gripperOpen: false }, // down and grasp at once
  { positionMetres: [0.45, 0, 0.35] as Vec, yawDeg: 20, gripperOpen: false },
  { positionMetres: [0.45, 0.1, 0.35] as Vec, yawDeg: 20, gripperOpen: true }, // moved and released
];

/** Runs the incremental detector and checks it against the batch function and its own promises. */
function runIncremental(samples: MotionSample[], options?: MotionKeyframeOptions): number[] {
  const detector = new MotionKeyframeDetector(options);
  const handedOut: number[] = [];
  const pending: number[] = [];
  for (const sample of samples) {
    handedOut.push(...detector.push(sample));
    expect(detector.keyframes).toEqual(handedOut);
    pending.push(detector.pendingFrom);
    expect(detector.pendingFrom).toBeLessThanOrEqual(Math.max(1, detector.length - 1));
  }
  expect(detector.length).toBe(samples.length);
  const final = detector.finish();
  expect(final.slice(0, handedOut.length)).toEqual(handedOut);
  expect(detector.finish()).toEqual(final);
  expect(detector.keyframes).toEqual(final);
  expect(detector.pendingFrom).toBe(samples.length);
  expect(final).toEqual(discoverMotionKeyframes(samples, options));
  checkKeyframes(final, samples.length);
  // A keyframe handed out later is never before what pendingFrom allowed a recorder to drop.
  let confirmed = 0;
  const detector2 = new MotionKeyframeDetector(options);
  samples.forEach((sample, i) => {
    confirmed += detector2.push(sample).length;
    for (const k of final.slice(confirmed)) expect(k, `pendingFrom after sample ${i}`).toBeGreaterThanOrEqual(pending[i]);
  });
  return final;
}

function caught(fn: () => unknown): PeractError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PeractError);
    return error as PeractError;
  }
  throw new Error('expected an error');
}

describe('discoverMotionKeyframes on a recorded pick and place', () => {
  for (const rateHz of [10, 30]) {
    it(`finds hover, grasp, release and the end at ${rateHz} Hz`, () => {
      expect(runIncremental(pickSamples({ rateHz }))).toEqual(expectedPick(rateHz));
    });

    it(`gives the same keyframes at ${rateHz} Hz with +-1 mm noise and a chattering gripper`, () => {
      for (const seed of [1, 2, 3]) {
        const samples = pickSamples({ rateHz, noiseMetres: 0.001, chatter: true, seed });
        expect(runIncremental(samples), `seed ${seed}`).toEqual(expectedPick(rateHz));
      }
    });

    it(`places a slow arrival's keyframe at most 3 samples early at ${rateHz} Hz`, () => {
      const keyframes = runIncremental(pickSamples({ rateHz, eased: true }));
      const expected = expectedPick(rateHz);
      expect(keyframes).toHaveLength(4);
      expect(keyframes[0]).toBeGreaterThanOrEqual(expected[0] - 3);
      expect(keyframes[0]).toBeLessThanOrEqual(expected[0]);
      expect(keyframes.slice(1)).toEqual(expected.slice(1));
    });
  }

  it('works with header stamps in seconds since 1970', () => {
    const samples = pickSamples({ rateHz: 30, noiseMetres: 0.001, chatter: true, startSeconds: 1_700_000_000.123 });
    expect(runIncremental(samples)).toEqual(expectedPick(30));
  });

  it('keeps the merged rest when the gripper changes only after the arm left it', () => {
    // Close while lifting (0.1 s after leaving the grasp pose): the grasp rest stays a keyframe.
    const samples = pickSamples({ rateHz: 10 }).map((s) => ({ ...s, gripperOpen: s.timeSeconds < 3.6 - 1e-9 || s.timeSeconds >= OPEN_SECONDS - 1e-9 }));
    expect(runIncremental(samples)).toEqual([15, 25, 36, 54, 65]);
  });

  it('does not mark the last sample when the episode ends at the last keyframe', () => {
    const samples = pickSamples({ rateHz: 10 }).filter((s) => s.timeSeconds <= 6.0 + 1e-9);
    expect(runIncremental(samples)).toEqual([15, 28, 54]);
  });

  it('confirms a gripper change still being held when the episode ends', () => {
    const samples = pickSamples({ rateHz: 10 }).filter((s) => s.timeSeconds <= 2.8 + 1e-9);
    expect(runIncremental(samples)).toEqual([15, 28]);
  });
});

describe('discoverMotionKeyframes on a stream that jumps between still poses', () => {
  for (const rateHz of [10, 30]) {
    it(`gives one keyframe per jump at ${rateHz} Hz`, () => {
      const per = Math.round(0.5 * rateHz);
      expect(runIncremental(jumpSamples(rateHz, 0.5, JUMPS))).toEqual([1, 2, 3, 4, 5].map((j) => j * per));
    });
  }

  it('ignores jumps below minTravelMetres and minTurnDeg, and counts them with lower thresholds', () => {
    const small = [
      { positionMetres: [0.4, 0, 0.3] as Vec, yawDeg: 0, gripperOpen: true },
      { positionMetres: [0.408, 0, 0.3] as Vec, yawDeg: 0, gripperOpen: true },
      { positionMetres: [0.408, 0, 0.3] as Vec, yawDeg: 6, gripperOpen: true },
      { positionMetres: [0.408, 0.05, 0.3] as Vec, yawDeg: 6, gripperOpen: true },
    ];
    const samples = jumpSamples(10, 0.5, small);
    expect(runIncremental(samples)).toEqual([15]);
    expect(runIncremental(samples, { minTravelMetres: 0.005, minTurnDeg: 5 })).toEqual([5, 10, 15]);
  });

  it('needs restSeconds of stillness for a rest', () => {
    const samples = jumpSamples(10, 0.2, JUMPS);
    // No pose is held 0.3 s: only the gripper changes remain (the release, held until the end,
    // is where the tool stays, so the last sample adds nothing).
    expect(runIncremental(samples)).toEqual([6, 10]);
    expect(runIncremental(samples, { restSeconds: 0.1 })).toEqual([2, 4, 6, 8, 10]);
  });
});

describe('MotionKeyframeDetector', () => {
  it('handles empty, one-sample and motionless episodes', () => {
    expect(discoverMotionKeyframes([])).toEqual([]);
    const still = jumpSamples(10, 1, [JUMPS[0]]);
    expect(discoverMotionKeyframes(still.slice(0, 1))).toEqual([]);
    expect(runIncremental(still)).toEqual([9]);
    const detector = new MotionKeyframeDetector();
    expect(detector.length).toBe(0);
    expect(detector.pendingFrom).toBe(1);
    expect(detector.finish()).toEqual([]);
  });

  it('equals the batch function and keeps its pendingFrom promise on random episodes', () => {
    const options: (MotionKeyframeOptions | undefined)[] = [undefined, { gripperHoldSeconds: 0.5, restSeconds: 0.1 }, { gripperHoldSeconds: 0 }];
    for (let seed = 1; seed <= 12; seed++) {
      const rng = new Rng(seed);
      const rateHz = rng.pick([10, 15, 30]);
      const samples: MotionSample[] = [];
      let p: Vec = [0.4, 0, 0.3];
      let yaw = 0;
      let open = true;
      let t = 0;
      for (let k = 0; k < 120; k++) {
        if (rng.next() < 0.15) {
          p = [p[0] + rng.uniform(-0.03, 0.03), p[1] + rng.uniform(-0.03, 0.03), p[2] + rng.uniform(-0.03, 0.03)];
          if (rng.next() < 0.3) yaw += rng.uniform(-15, 15);
        }
        if (rng.next() < 0.1) open = !open;
        t += rng.uniform(0.5, 1.5) / rateHz;
        samples.push({
          timeSeconds: t,
          positionMetres: p.map((v) => v + rng.uniform(-0.001, 0.001)),
          quaternion: yawQuaternion(yaw),
          gripperOpen: open,
        });
      }
      for (const o of options) runIncremental(samples, o);
    }
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_MOTION_KEYFRAME_OPTIONS).toEqual({
      restSeconds: 0.3,
      restRadiusMetres: 0.004,
      restAngleDeg: 3,
      minTravelMetres: 0.015,
      minTurnDeg: 10,
      gripperHoldSeconds: 0.15,
    });
  });

  it('rejects bad options naming the field', () => {
    const bad = (options: unknown, field: string): void => {
      const error = caught(() => new MotionKeyframeDetector(options as MotionKeyframeOptions));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.field).toBe(field);
    };
    bad({ restSeconds: 0 }, 'restSeconds');
    bad({ restRadiusMetres: -0.001 }, 'restRadiusMetres');
    bad({ restAngleDeg: Number.NaN }, 'restAngleDeg');
    bad({ minTravelMetres: '0.01' }, 'minTravelMetres');
    bad({ minTurnDeg: 200 }, 'minTurnDeg');
    bad({ gripperHoldSeconds: -0.1 }, 'gripperHoldSeconds');
    bad({ restRadius: 0.01 }, 'restRadius');
    bad(null, 'options');
    expect(caught(() => discoverMotionKeyframes([], { restSeconds: Infinity })).field).toBe('restSeconds');
    expect(new MotionKeyframeDetector({ gripperHoldSeconds: 0, restSeconds: undefined }).length).toBe(0);
  });

  it('rejects bad samples naming the field, and keeps its state', () => {
    const good = jumpSamples(10, 0.3, [JUMPS[0]]);
    const detector = new MotionKeyframeDetector();
    detector.push(good[0]);
    detector.push(good[1]);
    const bad = (sample: unknown, field: string, message?: RegExp): void => {
      const error = caught(() => detector.push(sample as MotionSample));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.field).toBe(field);
      if (message) expect(error.message).toMatch(message);
      expect(detector.length).toBe(2);
    };
    bad(undefined, 'samples[2]');
    bad({ ...good[2], timeSeconds: Number.NaN }, 'samples[2].timeSeconds');
    bad({ ...good[2], timeSeconds: 0.05 }, 'samples[2].timeSeconds', /must not be earlier than samples\[1\]\.timeSeconds \(0\.1\)/);
    bad({ ...good[2], positionMetres: [0.4, 0] }, 'samples[2].positionMetres');
    bad({ ...good[2], positionMetres: [0.4, Infinity, 0] }, 'samples[2].positionMetres[1]');
    bad({ ...good[2], quaternion: [0, 0, 0, 0] }, 'samples[2].quaternion');
    bad({ ...good[2], quaternion: [0, 0, 1] }, 'samples[2].quaternion');
    bad({ ...good[2], gripperOpen: 1 }, 'samples[2].gripperOpen');
    detector.push(good[2]);
    expect(detector.length).toBe(3);
    detector.finish();
    expect(caught(() => detector.push(good[2])).field).toBe('samples[3]');
    expect(caught(() => discoverMotionKeyframes('samples' as unknown as MotionSample[])).field).toBe('samples');
    expect(caught(() => discoverMotionKeyframes([good[0], { ...good[1], gripperOpen: 'open' } as unknown as MotionSample])).field).toBe('samples[1].gripperOpen');
  });
});
