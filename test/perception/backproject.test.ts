import { Matrix4, Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import type { CameraFrame } from '../../core/index.js';
import { backProject, depthFromMillimetres, depthToMillimetres } from '../../perception/index.js';

/** A camera with a non-trivial pose: rotated about all three axes and displaced. */
function posedCamera(): { worldFromCamera: number[]; m: Matrix4 } {
  const q = new Quaternion().setFromAxisAngle(new Vector3(0.3, -0.5, 0.8).normalize(), 1.1);
  const m = new Matrix4().compose(new Vector3(0.4, -0.2, 1.3), q, new Vector3(1, 1, 1));
  return { worldFromCamera: m.clone().transpose().toArray(), m };
}

function planeFrame(depth: number, width = 32, height = 24): CameraFrame {
  const { worldFromCamera } = posedCamera();
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = i % 251;
  return {
    name: 'front',
    width,
    height,
    rgb,
    depthMetres: new Float32Array(width * height).fill(depth),
    intrinsics: { fx: 40, fy: 42, cx: 15.5, cy: 11.5 },
    worldFromCamera,
  };
}

describe('backProject', () => {
  it('maps a fronto-parallel plane at known depth to the right world points (< 1e-5 m)', () => {
    const depth = 0.8125;
    const frame = planeFrame(depth);
    const { m } = posedCamera();
    const cloud = backProject(frame);
    expect(cloud.count).toBe(frame.width * frame.height);
    const normal = new Vector3(0, 0, 1).transformDirection(m);
    const origin = new Vector3().setFromMatrixPosition(m);
    for (let v = 0; v < frame.height; v++) {
      for (let u = 0; u < frame.width; u++) {
        const i = v * frame.width + u;
        const expected = new Vector3((u - 15.5) * depth / 40, (v - 11.5) * depth / 42, depth).applyMatrix4(m);
        const got = new Vector3(cloud.positions[i * 3], cloud.positions[i * 3 + 1], cloud.positions[i * 3 + 2]);
        expect(got.distanceTo(expected)).toBeLessThan(1e-5);
        // every point lies on the plane at the given depth along the optical axis
        expect(Math.abs(got.clone().sub(origin).dot(normal) - depth)).toBeLessThan(1e-5);
        expect(cloud.colours[i * 3]).toBe(frame.rgb[i * 3]);
      }
    }
  });

  it('drops 0, NaN and Inf readings and crops to bounds', () => {
    const frame = planeFrame(1);
    frame.depthMetres[0] = 0;
    frame.depthMetres[1] = Number.NaN;
    frame.depthMetres[2] = Number.POSITIVE_INFINITY;
    frame.depthMetres[3] = -1;
    expect(backProject(frame).count).toBe(frame.width * frame.height - 4);
    const all = backProject(frame);
    let meanX = 0;
    for (let i = 0; i < all.count; i++) meanX += all.positions[i * 3] / all.count;
    let inside = 0;
    for (let i = 0; i < all.count; i++) if (all.positions[i * 3] <= meanX) inside++;
    const cropped = backProject(frame, { bounds: [-10, -10, -10, meanX, 10, 10] });
    expect(cropped.count).toBe(inside);
    expect(inside).toBeGreaterThan(0);
    expect(inside).toBeLessThan(all.count);
  });

  it('fuses several cameras into one cloud and reuses an output buffer', () => {
    const a = planeFrame(1);
    const b = { ...planeFrame(2), name: 'wrist' };
    const fused = backProject([a, b]);
    expect(fused.count).toBe(2 * a.width * a.height);
    const again = backProject([a], { out: fused });
    expect(again).toBe(fused);
    expect(again.count).toBe(a.width * a.height);
  });

  it('converts 16-bit millimetre depth and back', () => {
    const mm = Uint16Array.from([0, 1, 812, 65535]);
    const m = depthFromMillimetres(mm);
    expect(Array.from(m)).toEqual([0, Math.fround(0.001), Math.fround(0.812), Math.fround(65.535)]);
    expect(Array.from(depthToMillimetres(Float32Array.from([0, Number.NaN, 0.8124, 70])))).toEqual([0, 0, 812, 0]);
  });

  it('rejects malformed frames naming the field', () => {
    const f = planeFrame(1);
    expect(() => backProject({ ...f, rgb: new Uint8Array(5) })).toThrow(/frame.rgb: length 5 != width\*height\*3/);
    expect(() => backProject({ ...f, depthMetres: new Float32Array(3) })).toThrow(/frame.depthMetres: length 3/);
    expect(() => backProject({ ...f, width: 0 })).toThrow(/frame.width/);
    expect(() => backProject({ ...f, intrinsics: { ...f.intrinsics, fx: Number.NaN } })).toThrow(/frame.intrinsics.fx: must be a finite number/);
    expect(() => backProject({ ...f, intrinsics: { ...f.intrinsics, fy: -3 } })).toThrow(/frame.intrinsics.fy: must be > 0/);
    const bad = Array.from(f.worldFromCamera);
    bad[5] = Number.POSITIVE_INFINITY;
    expect(() => backProject({ ...f, worldFromCamera: bad })).toThrow(/frame.worldFromCamera\[5\]: must be finite/);
    const notRigid = Array.from(f.worldFromCamera);
    notRigid[15] = 2;
    expect(() => backProject({ ...f, worldFromCamera: notRigid })).toThrow(/frame.worldFromCamera: last row/);
    expect(() => backProject([f, { ...f, worldFromCamera: [1, 2] }])).toThrow(/frames\[1\].worldFromCamera: must have 16 elements/);
    expect(() => backProject(f, { bounds: [0, 0, 0, 0, 1, 1] })).toThrow(/bounds\[0\]/);
  });
});
