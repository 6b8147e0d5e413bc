import { describe, expect, it } from 'vitest';
import { discoverKeyframes, recordedFrames, trainingPairs, type KeyframeState } from '../../dataset/keyframes.js';

const MOVING = [0.5, 0, 0, 0, 0, 0, 0];
const STILL = [0, 0, 0, 0, 0, 0, 0];

/** n frames; gripper closed at `closed`, arm still at `stopped`, moving otherwise. */
function demo(n: number, closed: Iterable<number> = [], stopped: Iterable<number> = []): KeyframeState[] {
  const c = new Set(closed);
  const s = new Set(stopped);
  return Array.from({ length: n }, (_, i) => ({ gripperOpen: !c.has(i), jointVelocitiesRadPerS: s.has(i) ? STILL : MOVING }));
}
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

describe('discoverKeyframes', () => {
  it('marks a gripper change and the last frame', () => {
    expect(discoverKeyframes(demo(12, range(6, 12)))).toEqual([6, 11]);
  });

  it('marks a frame where the arm stopped', () => {
    expect(discoverKeyframes(demo(20, [], [8]))).toEqual([8, 19]);
  });

  it('needs the stop buffer to run out between stops (4 frames by default, configurable)', () => {
    const d = demo(30, [], range(8, 20));
    expect(discoverKeyframes(d)).toEqual([8, 13, 18, 29]);
    expect(discoverKeyframes(d, { stopBufferFrames: 2 })).toEqual([8, 11, 14, 17, 29]);
  });

  it('never stops at the second-to-last frame', () => {
    expect(discoverKeyframes(demo(20, [], [18]))).toEqual([19]);
    expect(discoverKeyframes(demo(20, [], [17]))).toEqual([17, 19]);
  });

  it('drops the earlier of two adjacent final keyframes', () => {
    // Gripper closes at 8: keyframes 8 and 9, and 8 is dropped.
    expect(discoverKeyframes(demo(10, [8, 9]))).toEqual([9]);
  });

  it('requires the gripper unchanged over i-2..i+1 for a stop', () => {
    // Gripper closes at 6 while the arm is still over 5..9: 5, 6 and 7 see the change.
    expect(discoverKeyframes(demo(20, range(6, 20), range(5, 10)))).toEqual([6, 8, 19]);
  });

  it('checks frame 0 with Python-style wrap-around look-back, as PerAct does', () => {
    // Resting at the start with the same gripper state at the end: frame 0 counts as a stop,
    // which arms the buffer and hides the rest at 1..3.
    expect(discoverKeyframes(demo(20, [], range(0, 4)))).toEqual([19]);
    // Closed at the end: demo[-1] differs, frame 0 and 1 are not stops, frame 2 is.
    expect(discoverKeyframes(demo(20, range(15, 20), range(0, 4)))).toEqual([2, 15, 19]);
  });

  it('treats |v| == threshold as stopped (numpy.allclose) and honours a custom threshold', () => {
    const d = demo(20);
    d[8] = { gripperOpen: true, jointVelocitiesRadPerS: [0.1, -0.1, 0, 0, 0, 0, 0] };
    expect(discoverKeyframes(d)).toEqual([8, 19]);
    expect(discoverKeyframes(d, { stoppingDeltaRadPerS: 0.05 })).toEqual([19]);
    d[8] = { gripperOpen: true, jointVelocitiesRadPerS: [Number.NaN, 0, 0, 0, 0, 0, 0] };
    expect(discoverKeyframes(d)).toEqual([19]);
  });

  it('matches PerAct on mixed sequences (expected values from the Python reference)', () => {
    const velocity: Record<string, number> = { '0': 0, a: 0.05, b: 0.1, c: 0.2, d: -0.05, e: -0.3 };
    const cases: Array<[string, string, number[]]> = [
      ['oooooooocccccccoocccccccccccccc', '0ce00bcc0ec0de0000c000a0bd0a0e0', [3, 8, 11, 15, 17, 19, 24, 30]],
      ['occcoccccccccoooooooooccccoc', 'cbe00e0a00cb00e00e0a00bc0c00', [1, 4, 5, 7, 13, 15, 20, 22, 27]],
      ['cccoooo', '0ce00e0', [3, 6]],
      ['ccccccc', 'e00c00e', [1, 6]],
      ['ooooooooooooooooocccccccccccoooooo', '0cbaace0ceba00e0ebe00ec000cc00d0cc', [7, 12, 17, 19, 24, 28, 30, 33]],
      ['oooooooooooooooo', '00cb00dc00dceeed', [5, 10, 15]],
      ['oooooooooo', 'cacca00acc', [1, 6, 9]],
      ['oooooccccccccoo', '0ee00ccce000a0c', [5, 9, 14]],
      ['oocccooooocccccccccccccocccc', 'ce0c0d00cbaa0b00aee0000bcecb', [2, 5, 7, 10, 12, 19, 23, 24, 27]],
      ['occcoooooooooooc', 'c00c0d0e0bc0000c', [1, 4, 6, 11, 15]],
      ['oooccoooooooo', 'cce00bce0000c', [3, 5, 8, 12]],
      ['oooooooccccccccccccco', '0d0cc000dce0ce00ec0db', [1, 7, 11, 18, 20]],
    ];
    for (const [gripper, velocities, expected] of cases) {
      const frames = [...gripper].map((g, i) => ({ gripperOpen: g === 'o', jointVelocitiesRadPerS: [velocity[velocities[i]], 0] }));
      expect(discoverKeyframes(frames), gripper).toEqual(expected);
    }
  });

  it('handles tiny demos and rejects bad input by field', () => {
    expect(discoverKeyframes([])).toEqual([]);
    expect(discoverKeyframes(demo(1))).toEqual([]);
    expect(discoverKeyframes(demo(2))).toEqual([1]);
    expect(() => discoverKeyframes(demo(5), { stoppingDeltaRadPerS: -1 })).toThrow(/stoppingDeltaRadPerS/);
    expect(() => discoverKeyframes([{ gripperOpen: 1 as unknown as boolean, jointVelocitiesRadPerS: [] }])).toThrow(/frames\[0\]\.gripperOpen/);
  });
});

/** A literal port of PerAct's fill_replay / _add_keypoints_to_replay loop: every (observation, target) added. */
function peractReplay(keyframes: number[], nFrames: number, every: number): Array<[number, number]> {
  const added: Array<[number, number]> = [];
  let remaining = [...keyframes];
  for (let i = 0; i < nFrames - 1; i++) {
    if (i % every !== 0) continue;
    while (remaining.length > 0 && i >= remaining[0]) remaining = remaining.slice(1);
    if (remaining.length === 0) break;
    let obs = i;
    for (const k of remaining) {
      added.push([obs, k]);
      obs = k;
    }
  }
  return added;
}

describe('trainingPairs', () => {
  it('pairs each keyframe with the previous keyframe and the every-10th frames in between', () => {
    expect(trainingPairs([8, 25, 40], 41)).toEqual([
      { observationFrame: 0, keyframe: 8, copies: 1 },
      { observationFrame: 8, keyframe: 25, copies: 1 },
      { observationFrame: 10, keyframe: 25, copies: 1 },
      { observationFrame: 20, keyframe: 25, copies: 1 },
      { observationFrame: 25, keyframe: 40, copies: 3 },
      { observationFrame: 30, keyframe: 40, copies: 1 },
    ]);
  });

  it('holds exactly the pairs, with multiplicities, of PerAct replay filling', () => {
    const cases: Array<[number[], number, number]> = [
      [[8, 25, 40], 41, 10],
      [[10, 20, 33], 34, 10],
      [[1, 2, 3], 4, 1],
      [[5, 9, 31, 32, 60, 99], 100, 10],
      [[39], 40, 10],
      [[12, 13, 50], 51, 3],
    ];
    for (const [keyframes, n, every] of cases) {
      const counts = new Map<string, number>();
      for (const [o, k] of peractReplay(keyframes, n, every)) counts.set(`${o}->${k}`, (counts.get(`${o}->${k}`) ?? 0) + 1);
      const ours = new Map(trainingPairs(keyframes, n, every).map((p) => [`${p.observationFrame}->${p.keyframe}`, p.copies]));
      expect(ours, JSON.stringify(keyframes)).toEqual(counts);
    }
  });

  it('rejects keyframes that are not increasing frame indices', () => {
    expect(() => trainingPairs([5, 5], 10)).toThrow(/keyframes\[1\]/);
    expect(() => trainingPairs([0], 10)).toThrow(/keyframes\[0\]/);
    expect(() => trainingPairs([10], 10)).toThrow(/keyframes\[0\]/);
    expect(() => trainingPairs([3], 10, 0)).toThrow(/every/);
  });
});

describe('recordedFrames', () => {
  it('is frame 0, every 10th frame and the keyframes, covering every training observation', () => {
    const frames = recordedFrames([8, 25, 40], 41);
    expect(frames).toEqual([0, 8, 10, 20, 25, 30, 40]);
    for (const pair of trainingPairs([8, 25, 40], 41)) expect(frames).toContain(pair.observationFrame);
  });
});
