import { assertFiniteArray, assertPositiveInteger, invalidArgument } from '../core/index.js';

/** Scene bounds `[xMin, yMin, zMin, xMax, yMax, zMax]` in metres, world frame (PerAct's order). */
export type SceneBounds = readonly [number, number, number, number, number, number];

/** PerAct's bounds: 1 m cube in front of the robot, above the table. */
export const PERACT_BOUNDS: SceneBounds = [-0.3, -0.5, 0.6, 0.7, 0.5, 1.6];
export const PERACT_GRID_SIZE = 100;

export function checkBounds(bounds: ArrayLike<number> | undefined, field = 'bounds'): SceneBounds {
  assertFiniteArray(bounds, 6, field);
  const b = bounds as ArrayLike<number>;
  for (let a = 0; a < 3; a++) {
    if (!(b[a] < b[a + 3])) {
      throw invalidArgument(`${field}[${a}]`, `min (${b[a]}) must be < max (${b[a + 3]}) on axis ${'xyz'[a]}`);
    }
  }
  return [b[0], b[1], b[2], b[3], b[4], b[5]];
}

export function checkGridSize(size: unknown, field = 'size'): number {
  assertPositiveInteger(size, field, 1);
  if (size > 1024) throw invalidArgument(field, `must be <= 1024, got ${size}`);
  return size;
}

/** Voxel edge length per axis: `(max - min) / size`. */
export function voxelResolution(bounds: SceneBounds, size: number): [number, number, number] {
  return [(bounds[3] - bounds[0]) / size, (bounds[4] - bounds[1]) / size, (bounds[5] - bounds[2]) / size];
}

/**
 * Index of coordinate `p` on one axis, or -1 when outside `[lo, hi]`. The grid is closed on both
 * ends as in PerAct's VoxelGrid (its padded grid puts a point exactly on the upper bound in the
 * last voxel): `floor((p - lo) / res)` clamped to `size - 1`.
 */
export function axisIndex(p: number, lo: number, hi: number, res: number, size: number): number {
  if (!(p >= lo && p <= hi)) return -1;
  const i = Math.floor((p - lo) / res);
  return i >= size ? size - 1 : i;
}

/**
 * The cube of side `sideMetres` centred on `centreMetres`: the bounds of the coarse-to-fine
 * agent's fine level. It may reach outside the coarse bounds (those voxels are just empty).
 */
export function cubeBounds(centreMetres: ArrayLike<number>, sideMetres: number, field = 'centreMetres'): SceneBounds {
  assertFiniteArray(centreMetres, 3, field);
  if (!(Number.isFinite(sideMetres) && sideMetres > 0)) throw invalidArgument('sideMetres', `must be a number > 0, got ${sideMetres}`);
  const h = sideMetres / 2;
  const c = centreMetres;
  return [c[0] - h, c[1] - h, c[2] - h, c[0] + h, c[1] + h, c[2] + h];
}
