import { Matrix4, Quaternion, Vector3 } from 'three';
import { Rng, type CameraFrame } from '../core/index.js';
import { allocatePointCloud, augmentSe3, backProject, PERACT_BOUNDS, tokenize, Voxelizer } from '../perception/index.js';
import { timeIt, type Benchmark, type Figure } from './harness.js';

/** Four 128^2 cameras looking at the workspace from around it, depth like a tabletop scene. */
function syntheticFrames(size = 128): CameraFrame[] {
  const rng = new Rng(1);
  const eyes: [number, number, number][] = [
    [1.3, 0, 1.6],
    [0.2, 0.9, 1.7],
    [0.2, -0.9, 1.7],
    [0.3, 0.05, 1.4],
  ];
  return eyes.map((eye, c) => {
    const target = new Vector3(0.2, 0, 0.8);
    const look = new Matrix4().lookAt(new Vector3(...eye), target, new Vector3(0, 0, 1));
    // three's lookAt points -z at the target with +y up; ROS optical is +z forward, +y down.
    const optical = new Quaternion().setFromRotationMatrix(look).multiply(new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), Math.PI));
    const m = new Matrix4().compose(new Vector3(...eye), optical, new Vector3(1, 1, 1)).transpose();
    const dist = new Vector3(...eye).distanceTo(target);
    const depth = new Float32Array(size * size);
    for (let i = 0; i < depth.length; i++) depth[i] = dist + rng.uniform(-0.3, 0.3);
    const rgb = new Uint8Array(size * size * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = rng.int(0, 255);
    return {
      name: ['front', 'left_shoulder', 'right_shoulder', 'wrist'][c],
      width: size,
      height: size,
      rgb,
      depthMetres: depth,
      intrinsics: { fx: size * 1.1, fy: size * 1.1, cx: size / 2, cy: size / 2 },
      worldFromCamera: m.toArray(),
    };
  });
}

function pointsPerSecond(name: string, msFigure: Figure, points: number): Figure {
  return { name, median: (points / msFigure.median) * 1000, unit: 'per_s', runs: msFigure.runs };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'backproject',
    run: async () => {
      const frames = syntheticFrames();
      const out = allocatePointCloud(4 * 128 * 128);
      const fig = await timeIt('backproject/4x128x128', () => backProject(frames, { out }), { runs: 50, warmup: 10 });
      return [{ ...fig, target: 2 }];
    },
  },
  {
    name: 'voxelize',
    run: async () => {
      const frames = syntheticFrames();
      const cloud = backProject(frames); // 65,536 points, uncropped: the voxelizer drops what is outside
      const figures: Figure[] = [];
      for (const size of [100, 48]) {
        const vox = new Voxelizer({ bounds: PERACT_BOUNDS, size });
        const fig = await timeIt(`voxelize/4x128x128->${size}^3`, () => vox.voxelize(cloud), {
          runs: 50,
          warmup: 10,
          extra: { points: cloud.count, pointsInside: vox.voxelize(cloud).pointsInside, ...(size === 100 ? { target: 10 } : {}) },
        });
        figures.push(fig, pointsPerSecond(`voxelize/4x128x128->${size}^3/points`, fig, cloud.count));
      }
      // Baseline in the same run: a fresh grid per call (what reuse saves).
      const fresh = await timeIt('voxelize/4x128x128->100^3/fresh-buffer', () => new Voxelizer({ size: 100 }).voxelize(cloud), { runs: 5, warmup: 1 });
      figures.push(fresh, { name: 'voxelize/100^3/reuse-speedup', median: fresh.median / figures[0].median, unit: 'ratio' });
      return figures;
    },
  },
  {
    name: 'augment',
    run: async () => {
      const cloud = backProject(syntheticFrames());
      const out = allocatePointCloud(cloud.count);
      const rng = new Rng(2);
      const action = { positionMetres: [0.2, 0, 0.9] as [number, number, number], quaternion: [1, 0, 0, 0] as [number, number, number, number], gripperOpen: true, ignoreCollisions: false };
      return [await timeIt('augment-se3/65536-points', () => augmentSe3(cloud, action, rng, {}, out), { runs: 50, warmup: 5 })];
    },
  },
  {
    name: 'tokenize',
    run: async () => [await timeIt('tokenize/77', () => tokenize('stack 3 maroon blocks on the green target'), { runs: 200, warmup: 20 })],
  },
];
