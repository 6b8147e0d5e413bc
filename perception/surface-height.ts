import { assertPositiveInteger, invalidArgument } from '../core/index.js';
import { CHANNEL, VOXEL_CHANNELS } from './voxel-grid.js';

/**
 * Every voxel's height above the nearest occupied voxel below it in its column, as a class:
 * 0 the voxel is occupied, 1..maxHeight that many voxels above it, maxHeight + 1 higher or
 * nothing below. Most manipulation keyframes sit at a task-typical height over the thing they
 * act on (an approach pose over a block, a grasp just above the table), a height the network
 * would otherwise have to read off raw voxels (agent/network/model.ts, surfaceHeight).
 *
 * `voxels` is a PerAct grid, `[x][y][z][channel]`, `size^3 x 10` (voxel-grid.ts), or several
 * stacked. Returns Int32 classes in `[x][y][z]` order, written into `out` when given.
 */
export function surfaceHeights(voxels: Float32Array, size: number, maxHeight: number, out?: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  assertPositiveInteger(size, 'size');
  assertPositiveInteger(maxHeight, 'maxHeight');
  if (!(voxels instanceof Float32Array)) throw invalidArgument('voxels', 'must be a Float32Array');
  const cells = voxels.length / VOXEL_CHANNELS;
  if (!Number.isInteger(cells) || cells === 0 || cells % size ** 3 !== 0) {
    throw invalidArgument('voxels', `must hold whole ${size}^3 x ${VOXEL_CHANNELS} grids, got ${voxels.length} values`);
  }
  const result = out ?? new Int32Array(cells);
  if (result.length !== cells) throw invalidArgument('out', `must hold ${cells} classes, got ${result.length}`);
  const none = maxHeight + 1;
  for (let column = 0; column < cells; column += size) {
    let surface = -1;
    for (let z = 0; z < size; z++) {
      const v = column + z;
      if (voxels[v * VOXEL_CHANNELS + CHANNEL.occupancy] > 0) surface = z;
      result[v] = surface < 0 ? none : Math.min(z - surface, none);
    }
  }
  return result;
}
