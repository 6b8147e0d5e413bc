import { Euler, Quaternion } from 'three';
import { describe, expect, it } from 'vitest';
import { Rng, type Action, type Quat } from '../../core/index.js';
import { ActionCodec, PERACT_BOUNDS, roundHalfEven, voxelCentre } from '../../perception/index.js';

const deg = Math.PI / 180;
function quatFromExtrinsicXyzDeg(x: number, y: number, z: number): Quat {
  // scipy Rotation.from_euler('xyz', [x, y, z], degrees=True): R = Rz Ry Rx
  const q = new Quaternion().setFromEuler(new Euler(x * deg, y * deg, z * deg, 'ZYX'));
  return [q.x, q.y, q.z, q.w];
}

describe('ActionCodec', () => {
  const codec = new ActionCodec();

  it('round-trips a pose at a voxel and bin centre exactly', () => {
    const rng = new Rng(3);
    for (let n = 0; n < 200; n++) {
      const voxel: [number, number, number] = [rng.int(0, 99), rng.int(0, 99), rng.int(0, 99)];
      const bins: [number, number, number] = [rng.int(0, 71), rng.int(1, 71), rng.int(0, 71)];
      bins[1] = rng.int(19, 53); // keep pitch away from +-90 deg where Euler angles are degenerate
      const action: Action = {
        positionMetres: voxelCentre(voxel, PERACT_BOUNDS, 100),
        quaternion: codec.binsToQuaternion(bins),
        gripperOpen: rng.next() < 0.5,
        ignoreCollisions: rng.next() < 0.5,
      };
      const code = codec.encode(action);
      expect(code.voxel).toEqual(voxel);
      expect(code.rotationBins).toEqual(bins);
      const back = codec.decode(code);
      expect(back.positionMetres).toEqual(action.positionMetres);
      expect(back.quaternion).toEqual(action.quaternion);
      expect(back.gripperOpen).toBe(action.gripperOpen);
      expect(back.ignoreCollisions).toBe(action.ignoreCollisions);
    }
  });

  it('uses scipy extrinsic xyz Euler angles shifted by 180 degrees', () => {
    expect(codec.quaternionToBins([0, 0, 0, 1])).toEqual([36, 36, 36]);
    expect(codec.quaternionToBins(quatFromExtrinsicXyzDeg(30, 0, 0))).toEqual([42, 36, 36]);
    expect(codec.quaternionToBins(quatFromExtrinsicXyzDeg(0, -20, 0))).toEqual([36, 32, 36]);
    expect(codec.quaternionToBins(quatFromExtrinsicXyzDeg(10, 20, -45))).toEqual([38, 40, 27]);
    // a gripper pointing down (180 deg about x) wraps bin 72 to 0
    expect(codec.quaternionToBins([1, 0, 0, 0])).toEqual([0, 36, 36]);
  });

  it('gives the same bins for q and -q, and decodes with w >= 0', () => {
    const q = quatFromExtrinsicXyzDeg(12, -33, 101);
    const neg: Quat = [-q[0], -q[1], -q[2], -q[3]];
    expect(codec.quaternionToBins(neg)).toEqual(codec.quaternionToBins(q));
    const decoded = codec.binsToQuaternion([10, 50, 70]);
    expect(decoded[3]).toBeGreaterThanOrEqual(0);
    expect(Math.hypot(...decoded)).toBeCloseTo(1, 12);
  });

  it('puts bin edges half way between centres, halves to the even bin (numpy round)', () => {
    expect(codec.quaternionToBins(quatFromExtrinsicXyzDeg(2.4, 0, 0))[0]).toBe(36);
    expect(codec.quaternionToBins(quatFromExtrinsicXyzDeg(2.6, 0, 0))[0]).toBe(37);
    expect(codec.quaternionToBins(quatFromExtrinsicXyzDeg(-2.6, 0, 0))[0]).toBe(35);
    expect(roundHalfEven(36.5)).toBe(36);
    expect(roundHalfEven(37.5)).toBe(38);
    expect(roundHalfEven(-0.5) === 0).toBe(true);
    expect(roundHalfEven(-1.5)).toBe(-2);
  });

  it('maps positions to voxels with the voxel grid rule and refuses out-of-bounds', () => {
    expect(codec.positionToVoxel([-0.3, -0.5, 0.6])).toEqual([0, 0, 0]);
    expect(codec.positionToVoxel([0.7, 0.5, 1.6])).toEqual([99, 99, 99]);
    expect(codec.positionToVoxel([0.2049, 0, 1.1])).toEqual([50, 50, 50]);
    expect(() => codec.positionToVoxel([0.71, 0, 1])).toThrow(/action.positionMetres\[0\].*outside the bounds/);
    expect(codec.flatIndex([1, 2, 3])).toBe(10203);
    expect(codec.voxelFromFlat(10203)).toEqual([1, 2, 3]);
  });

  it('rejects bad input naming the field', () => {
    expect(() => new ActionCodec({ rotationResolutionDeg: 7 })).toThrow(/rotationResolutionDeg/);
    expect(() => codec.encode({ positionMetres: [0, 0, 1], quaternion: [0, 0, 0, 0], gripperOpen: true, ignoreCollisions: false })).toThrow(
      /action.quaternion: must not be the zero quaternion/,
    );
    expect(() => codec.decode({ voxel: [0, 0, 100], rotationBins: [0, 0, 0], gripperOpen: 1, ignoreCollisions: 0 })).toThrow(/code.voxel\[2\]/);
    expect(() => codec.decode({ voxel: [0, 0, 0], rotationBins: [0, 72, 0], gripperOpen: 1, ignoreCollisions: 0 })).toThrow(/code.rotationBins\[1\]/);
  });
});
