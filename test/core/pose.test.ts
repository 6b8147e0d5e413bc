import { describe, expect, it } from 'vitest';
import {
  canonicalQuaternion,
  matrixFromPose,
  PeractError,
  poseFromMatrix,
  quatFromWxyz,
  quaternionAngle,
  quatToWxyz,
  rotateVector,
  Rng,
} from '../../core/index.js';

describe('quaternions [x, y, z, w]', () => {
  it('normalises and makes w >= 0', () => {
    expect(canonicalQuaternion([0, 0, 0, -2])).toEqual([0, 0, 0, 1]);
    const q = canonicalQuaternion([1, 2, 3, -4]);
    expect(q[3]).toBeGreaterThan(0);
    expect(Math.hypot(...q)).toBeCloseTo(1, 12);
    expect(canonicalQuaternion([-1, 0, 0, 0])).toEqual([1, 0, 0, 0]);
  });

  it('converts wxyz at the edges without mixing up the order', () => {
    // 90 degrees about z, written w-first as MuJoCo does
    const s = Math.SQRT1_2;
    const q = quatFromWxyz([s, 0, 0, s]);
    expect(q).toEqual([0, 0, s, s].map((v) => v / Math.hypot(s, s)));
    const v = rotateVector(q, [1, 0, 0]);
    expect(v[0]).toBeCloseTo(0, 12);
    expect(v[1]).toBeCloseTo(1, 12);
    expect(quatToWxyz(q)).toEqual([q[3], q[0], q[1], q[2]]);
  });

  it('round-trips poses through row-major matrices', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 20; i++) {
      const pose = {
        positionMetres: [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0, 2)] as [number, number, number],
        quaternion: canonicalQuaternion([rng.normal(), rng.normal(), rng.normal(), rng.normal()]),
      };
      const m = matrixFromPose(pose);
      expect(m.slice(12)).toEqual([0, 0, 0, 1]);
      expect(m[3]).toBeCloseTo(pose.positionMetres[0], 12);
      const back = poseFromMatrix(m);
      expect(quaternionAngle(back.quaternion, pose.quaternion)).toBeLessThan(1e-6);
      back.positionMetres.forEach((p, a) => expect(p).toBeCloseTo(pose.positionMetres[a], 12));
    }
  });

  it('rejects bad quaternions with a typed error naming the field', () => {
    expect(() => canonicalQuaternion([0, 0, 0, 0])).toThrow(PeractError);
    expect(() => canonicalQuaternion([0, Number.NaN, 0, 1], 'goal.quaternion')).toThrow(/goal.quaternion\[1\]: must be finite/);
    expect(() => canonicalQuaternion([0, 0, 1])).toThrow(/quaternion: must have 4 elements/);
  });

  it('rejects norms that overflow or vanish, naming the field, instead of returning zeros', () => {
    const huge = [1e308, 1e308, 1e308, 1e308];
    expect(() => canonicalQuaternion(huge, 'target.pose.orientation')).toThrow(PeractError);
    expect(() => canonicalQuaternion(huge, 'target.pose.orientation')).toThrow(/^target\.pose\.orientation: must have a finite norm, got Infinity/);
    try {
      canonicalQuaternion(huge, 'target.pose.orientation');
    } catch (err) {
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'target.pose.orientation' });
    }
    expect(() => canonicalQuaternion([1e-13, 0, 0, 0], 'q')).toThrow(/^q: must not be the zero quaternion/);
    expect(() => canonicalQuaternion([5e-324, 5e-324, 0, 0], 'q')).toThrow(/^q: must not be the zero quaternion/);
    // Large but representable norms still normalize.
    const big = canonicalQuaternion([1e200, 0, 0, 1e200]);
    expect(big[0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(big.every(Number.isFinite)).toBe(true);
  });
});

describe('Rng', () => {
  it('is reproducible from a seed and differs across seeds', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const c = new Rng(124);
    const sa = Array.from({ length: 10 }, () => a.next());
    expect(Array.from({ length: 10 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 10 }, () => c.next())).not.toEqual(sa);
  });

  it('restores from its state and stays in range', () => {
    const a = new Rng(5);
    a.next();
    const copy = Rng.fromState(a.state());
    expect(copy.nextUint32()).toBe(a.nextUint32());
    for (let i = 0; i < 1000; i++) {
      const v = a.int(-3, 3);
      expect(v).toBeGreaterThanOrEqual(-3);
      expect(v).toBeLessThanOrEqual(3);
      const u = a.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
  });
});
