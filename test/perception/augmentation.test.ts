import { Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { PeractError, Rng, type Action } from '../../core/index.js';
import { allocatePointCloud, augmentSe3, PERACT_BOUNDS } from '../../perception/index.js';

function cloudAround(rng: Rng, n: number) {
  const c = allocatePointCloud(n);
  for (let i = 0; i < n * 3; i++) c.positions[i] = rng.uniform(-0.2, 0.6) + (i % 3 === 2 ? 0.9 : 0);
  for (let i = 0; i < n * 3; i++) c.colours[i] = rng.int(0, 255);
  c.count = n;
  return c;
}

const action: Action = { positionMetres: [0.25, 0.1, 0.95], quaternion: [1, 0, 0, 0], gripperOpen: false, ignoreCollisions: false };

describe('augmentSe3', () => {
  it('moves points and action by the same rigid transform and keeps the action inside the bounds', () => {
    const rng = new Rng(11);
    const cloud = cloudAround(rng, 500);
    for (let trial = 0; trial < 50; trial++) {
      const aug = augmentSe3(cloud, action, rng);
      const { translationMetres: t, yawRad } = aug;
      expect(Math.abs(t[0])).toBeLessThanOrEqual(0.125);
      expect(Math.abs(yawRad)).toBeLessThanOrEqual((45 * Math.PI) / 180 + 1e-12);
      expect(Math.round((yawRad * 180) / Math.PI / 5) * 5).toBeCloseTo((yawRad * 180) / Math.PI, 9);
      const p = aug.action.positionMetres;
      for (let a = 0; a < 3; a++) {
        expect(p[a]).toBeGreaterThanOrEqual(PERACT_BOUNDS[a]);
        expect(p[a]).toBeLessThanOrEqual(PERACT_BOUNDS[a + 3]);
      }
      // the transform T(x) = Rz(yaw)(x - a) + a + t, checked on every point
      const pivot = new Vector3(...action.positionMetres);
      const rz = new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), yawRad);
      for (let i = 0; i < cloud.count; i++) {
        const src = new Vector3(cloud.positions[i * 3], cloud.positions[i * 3 + 1], cloud.positions[i * 3 + 2]);
        const want = src.sub(pivot).applyQuaternion(rz).add(pivot).add(new Vector3(...t));
        expect(Math.abs(aug.cloud.positions[i * 3] - want.x)).toBeLessThan(1e-5);
        expect(Math.abs(aug.cloud.positions[i * 3 + 1] - want.y)).toBeLessThan(1e-5);
        expect(Math.abs(aug.cloud.positions[i * 3 + 2] - want.z)).toBeLessThan(1e-5);
      }
      expect(Array.from(aug.cloud.colours.subarray(0, 30))).toEqual(Array.from(cloud.colours.subarray(0, 30)));
      // the action's orientation is rotated by the same yaw
      const want = rz.clone().multiply(new Quaternion(...action.quaternion));
      expect(Math.abs(new Quaternion(...aug.action.quaternion).dot(want))).toBeCloseTo(1, 9);
      expect(aug.action.quaternion[3]).toBeGreaterThanOrEqual(0);
    }
  });

  it('is reproducible from the seed', () => {
    const cloud = cloudAround(new Rng(1), 100);
    const a = augmentSe3(cloud, action, new Rng(42));
    const b = augmentSe3(cloud, action, new Rng(42));
    expect(a.translationMetres).toEqual(b.translationMetres);
    expect(Array.from(a.cloud.positions)).toEqual(Array.from(b.cloud.positions));
  });

  it('resamples near the bounds and fails with a typed error when nothing fits', () => {
    const corner: Action = { ...action, positionMetres: [0.7, 0.5, 1.6] };
    const rng = new Rng(5);
    for (let i = 0; i < 20; i++) {
      const p = augmentSe3(cloudAround(rng, 1), corner, rng).action.positionMetres;
      expect(p[0]).toBeLessThanOrEqual(0.7);
      expect(p[1]).toBeLessThanOrEqual(0.5);
      expect(p[2]).toBeLessThanOrEqual(1.6);
    }
    const outside: Action = { ...action, positionMetres: [5, 5, 5] };
    let err: unknown;
    try {
      augmentSe3(cloudAround(rng, 1), outside, rng);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PeractError);
    expect((err as PeractError).code).toBe('AUGMENTATION_FAILED');
    expect((err as PeractError).message).toMatch(/after 100 tries/);
  });

  it('rejects bad options naming the field', () => {
    const rng = new Rng(0);
    expect(() => augmentSe3(cloudAround(rng, 1), action, rng, { yawStepDeg: 0 })).toThrow(/yawStepDeg/);
    expect(() => augmentSe3(cloudAround(rng, 1), action, rng, { maxTries: 0 })).toThrow(/maxTries/);
    expect(() => augmentSe3(cloudAround(rng, 1), { ...action, positionMetres: [0, Number.NaN, 1] }, rng)).toThrow(/action.positionMetres\[1\]/);
  });
});
