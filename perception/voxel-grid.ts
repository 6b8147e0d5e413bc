import { invalidArgument } from '../core/index.js';
import { axisIndex, checkBounds, checkGridSize, PERACT_BOUNDS, PERACT_GRID_SIZE, voxelResolution, type SceneBounds } from './bounds.js';
import type { PointCloud } from './point-cloud.js';

/** Feature channels per voxel, in PerAct's order. */
export const VOXEL_CHANNELS = 10;
export const CHANNEL = { meanXyz: 0, meanRgb: 3, index: 6, occupancy: 9 } as const;

/**
 * A PerAct voxel grid: `size^3 x 10` Float32 features, layout `[x][y][z][channel]`. Channels:
 * mean xyz of the points in the voxel (metres), mean rgb as `rgb/255*2-1`, voxel index / size
 * for x, y, z (in every voxel), occupancy 0/1. Empty voxels are 0 except the index channels.
 */
export interface VoxelGrid {
  size: number;
  bounds: SceneBounds;
  data: Float32Array;
  /** Number of occupied voxels. */
  occupied: number;
  /** Number of points that fell inside the bounds. */
  pointsInside: number;
}

export interface VoxelizerOptions {
  bounds?: SceneBounds;
  size?: number;
}

/**
 * Turns point clouds into voxel grids with no per-point allocation. The output buffer is reused
 * across calls (the grid returned by `voxelize` is overwritten by the next call: copy `data` to
 * keep it). Reuse pays because only the voxels touched by the previous call are cleared, not the
 * whole 40 MB grid of a 100^3 run.
 */
export class Voxelizer {
  readonly size: number;
  readonly bounds: SceneBounds;
  private readonly res: [number, number, number];
  private readonly grid: VoxelGrid;
  /** Voxel -> slot in the accumulators, -1 when untouched in the current call. */
  private readonly slotOf: Int32Array;
  private touched: Int32Array = new Int32Array(0);
  private touchedCount = 0;
  private sums: Float64Array = new Float64Array(0);
  private counts: Int32Array = new Int32Array(0);

  constructor(options: VoxelizerOptions = {}) {
    this.bounds = checkBounds(options.bounds ?? PERACT_BOUNDS);
    this.size = checkGridSize(options.size ?? PERACT_GRID_SIZE);
    this.res = voxelResolution(this.bounds, this.size);
    const v = this.size;
    const data = new Float32Array(v * v * v * VOXEL_CHANNELS);
    for (let x = 0; x < v; x++) {
      for (let y = 0; y < v; y++) {
        for (let z = 0; z < v; z++) {
          const o = ((x * v + y) * v + z) * VOXEL_CHANNELS + CHANNEL.index;
          data[o] = x / v;
          data[o + 1] = y / v;
          data[o + 2] = z / v;
        }
      }
    }
    this.grid = { size: v, bounds: this.bounds, data, occupied: 0, pointsInside: 0 };
    this.slotOf = new Int32Array(v * v * v).fill(-1);
  }

  /**
   * The grid of `cloud` over the voxelizer's bounds, or over `bounds` (same size): the
   * coarse-to-fine agent's fine level voxelizes the same fused cloud afresh over a small cube.
   */
  voxelize(cloud: PointCloud, bounds?: SceneBounds): VoxelGrid {
    checkCloud(cloud);
    const box = bounds === undefined ? this.bounds : checkBounds(bounds);
    this.clearPrevious();
    this.ensureCapacity(cloud.count);
    const [xLo, yLo, zLo, xHi, yHi, zHi] = box;
    const [rx, ry, rz] = bounds === undefined ? this.res : voxelResolution(box, this.size);
    const v = this.size;
    const { positions: pos, colours: col } = cloud;
    const { slotOf, touched, sums, counts } = this;
    let slots = 0;
    let inside = 0;
    for (let p = 0; p < cloud.count; p++) {
      const o = p * 3;
      const px = pos[o];
      const py = pos[o + 1];
      const pz = pos[o + 2];
      const ix = axisIndex(px, xLo, xHi, rx, v);
      if (ix < 0) continue;
      const iy = axisIndex(py, yLo, yHi, ry, v);
      if (iy < 0) continue;
      const iz = axisIndex(pz, zLo, zHi, rz, v);
      if (iz < 0) continue;
      const voxel = (ix * v + iy) * v + iz;
      let s = slotOf[voxel];
      if (s < 0) {
        s = slots++;
        slotOf[voxel] = s;
        touched[s] = voxel;
        counts[s] = 0;
        sums.fill(0, s * 6, s * 6 + 6);
      }
      const so = s * 6;
      sums[so] += px;
      sums[so + 1] += py;
      sums[so + 2] += pz;
      sums[so + 3] += col[o];
      sums[so + 4] += col[o + 1];
      sums[so + 5] += col[o + 2];
      counts[s]++;
      inside++;
    }
    const data = this.grid.data;
    for (let s = 0; s < slots; s++) {
      const o = touched[s] * VOXEL_CHANNELS;
      const so = s * 6;
      const n = counts[s];
      data[o] = sums[so] / n;
      data[o + 1] = sums[so + 1] / n;
      data[o + 2] = sums[so + 2] / n;
      data[o + 3] = (sums[so + 3] / n / 255) * 2 - 1;
      data[o + 4] = (sums[so + 4] / n / 255) * 2 - 1;
      data[o + 5] = (sums[so + 5] / n / 255) * 2 - 1;
      data[o + 9] = 1;
    }
    this.touchedCount = slots;
    this.grid.bounds = box;
    this.grid.occupied = slots;
    this.grid.pointsInside = inside;
    return this.grid;
  }

  private clearPrevious(): void {
    const data = this.grid.data;
    for (let s = 0; s < this.touchedCount; s++) {
      const voxel = this.touched[s];
      this.slotOf[voxel] = -1;
      const o = voxel * VOXEL_CHANNELS;
      data.fill(0, o, o + 6);
      data[o + 9] = 0;
    }
    this.touchedCount = 0;
  }

  private ensureCapacity(points: number): void {
    const needed = Math.min(points, this.slotOf.length);
    if (this.touched.length >= needed) return;
    const cap = Math.max(needed, this.touched.length * 2, 1024);
    this.touched = new Int32Array(cap);
    this.counts = new Int32Array(cap);
    this.sums = new Float64Array(cap * 6);
  }
}

/** One-shot convenience: a fresh grid (allocates; use a `Voxelizer` in loops). */
export function voxelize(cloud: PointCloud, options: VoxelizerOptions = {}): VoxelGrid {
  return new Voxelizer(options).voxelize(cloud);
}

function checkCloud(cloud: PointCloud): void {
  if (!cloud || typeof cloud !== 'object') throw invalidArgument('cloud', 'must be a PointCloud');
  if (!(cloud.positions instanceof Float32Array)) throw invalidArgument('cloud.positions', 'must be a Float32Array');
  if (!(cloud.colours instanceof Uint8Array)) throw invalidArgument('cloud.colours', 'must be a Uint8Array');
  if (!Number.isInteger(cloud.count) || cloud.count < 0) {
    throw invalidArgument('cloud.count', `must be a non-negative integer, got ${cloud.count}`);
  }
  if (cloud.positions.length < cloud.count * 3) {
    throw invalidArgument('cloud.positions', `length ${cloud.positions.length} < count*3 = ${cloud.count * 3}`);
  }
  if (cloud.colours.length < cloud.count * 3) {
    throw invalidArgument('cloud.colours', `length ${cloud.colours.length} < count*3 = ${cloud.count * 3}`);
  }
}

/** Centre of voxel `(i, j, k)` in metres: `min + res * (i + 0.5)`. */
export function voxelCentre(index: readonly [number, number, number], bounds: SceneBounds, size: number): [number, number, number] {
  const res = voxelResolution(bounds, size);
  return [bounds[0] + res[0] * (index[0] + 0.5), bounds[1] + res[1] * (index[1] + 0.5), bounds[2] + res[2] * (index[2] + 0.5)];
}
