import { describe, expect, it } from 'vitest';
import { PeractError } from '../../core/index.js';
import { CHANNEL, surfaceHeights, Voxelizer, VOXEL_CHANNELS } from '../../perception/index.js';

describe('surfaceHeights', () => {
  it('counts voxels up from the nearest occupied voxel below, per column', () => {
    const size = 4;
    const grid = new Float32Array(size ** 3 * VOXEL_CHANNELS);
    const occupy = (x: number, y: number, z: number): void => {
      grid[((x * size + y) * size + z) * VOXEL_CHANNELS + CHANNEL.occupancy] = 1;
    };
    occupy(0, 0, 0);
    occupy(1, 2, 1);
    occupy(1, 2, 2);
    const classes = surfaceHeights(grid, size, 2);
    const column = (x: number, y: number): number[] => Array.from(classes.subarray((x * size + y) * size, (x * size + y + 1) * size));
    expect(column(0, 0)).toEqual([0, 1, 2, 3]); // 3 is past maxHeight 2: "higher"
    expect(column(1, 2)).toEqual([3, 0, 0, 1]); // nothing below z = 0: "none", the same class
    expect(column(3, 3)).toEqual([3, 3, 3, 3]);
  });

  it('reads a real voxel grid: a floor of points gives height z above it', () => {
    const size = 8;
    const n = 64;
    const positions = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) positions.set([((i % 8) + 0.5) / 8, (Math.floor(i / 8) + 0.5) / 8, 0.01], i * 3);
    const grid = new Voxelizer({ bounds: [0, 0, 0, 1, 1, 1], size }).voxelize({ positions, colours: new Uint8Array(n * 3), count: n });
    const classes = surfaceHeights(grid.data, size, 12);
    for (let column = 0; column < size * size; column++) expect(Array.from(classes.subarray(column * size, (column + 1) * size))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('writes into a given buffer and rejects bad input naming the field', () => {
    const grid = new Float32Array(2 ** 3 * VOXEL_CHANNELS);
    const out = new Int32Array(8);
    expect(surfaceHeights(grid, 2, 4, out)).toBe(out);
    expect(() => surfaceHeights(grid, 3, 4)).toThrow(PeractError);
    expect(() => surfaceHeights(grid, 3, 4)).toThrow(/voxels: must hold whole 3\^3 x 10 grids/);
    expect(() => surfaceHeights(grid, 2, 0)).toThrow(/maxHeight/);
    expect(() => surfaceHeights(grid, 2, 4, new Int32Array(3))).toThrow(/out: must hold 8 classes/);
    expect(() => surfaceHeights([] as unknown as Float32Array, 2, 4)).toThrow(/voxels: must be a Float32Array/);
  });
});
