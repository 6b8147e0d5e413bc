import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/index.js';
import { allocatePointCloud, PERACT_BOUNDS, voxelCentre, Voxelizer, type PointCloud, type SceneBounds } from '../../perception/index.js';

/** Plain per-point reference: the docs/design.md rule written as directly as possible. */
function referenceGrid(cloud: PointCloud, bounds: SceneBounds, size: number): Float32Array {
  const out = new Float32Array(size ** 3 * 10);
  const res = [0, 1, 2].map((a) => (bounds[a + 3] - bounds[a]) / size);
  for (let x = 0; x < size; x++)
    for (let y = 0; y < size; y++)
      for (let z = 0; z < size; z++) {
        const o = ((x * size + y) * size + z) * 10;
        out[o + 6] = x / size;
        out[o + 7] = y / size;
        out[o + 8] = z / size;
      }
  const acc = new Map<number, number[]>();
  for (let p = 0; p < cloud.count; p++) {
    const pt = [cloud.positions[p * 3], cloud.positions[p * 3 + 1], cloud.positions[p * 3 + 2]];
    const idx: number[] = [];
    let inside = true;
    for (let a = 0; a < 3; a++) {
      if (pt[a] < bounds[a] || pt[a] > bounds[a + 3] || Number.isNaN(pt[a])) inside = false;
      idx.push(Math.min(Math.floor((pt[a] - bounds[a]) / res[a]), size - 1));
    }
    if (!inside) continue;
    const key = (idx[0] * size + idx[1]) * size + idx[2];
    const s = acc.get(key) ?? [0, 0, 0, 0, 0, 0, 0];
    for (let a = 0; a < 3; a++) {
      s[a] += pt[a];
      s[a + 3] += cloud.colours[p * 3 + a];
    }
    s[6] += 1;
    acc.set(key, s);
  }
  for (const [key, s] of acc) {
    const o = key * 10;
    for (let a = 0; a < 3; a++) {
      out[o + a] = s[a] / s[6];
      out[o + 3 + a] = (s[a + 3] / s[6] / 255) * 2 - 1;
    }
    out[o + 9] = 1;
  }
  return out;
}

function randomCloud(rng: Rng, n: number, bounds: SceneBounds, size: number): PointCloud {
  const cloud = allocatePointCloud(n);
  const res = [0, 1, 2].map((a) => (bounds[a + 3] - bounds[a]) / size);
  for (let p = 0; p < n; p++) {
    const kind = rng.next();
    for (let a = 0; a < 3; a++) {
      const lo = bounds[a];
      const hi = bounds[a + 3];
      let v: number;
      if (kind < 0.2) v = lo + res[a] * rng.int(0, size); // exactly on a voxel border (incl. both bounds)
      else if (kind < 0.3) v = rng.next() < 0.5 ? lo : hi; // on the bounds
      else if (kind < 0.4) v = rng.uniform(lo - 0.3, hi + 0.3); // partly outside
      else v = rng.uniform(lo, hi);
      cloud.positions[p * 3 + a] = v;
      cloud.colours[p * 3 + a] = rng.int(0, 255);
    }
  }
  cloud.count = n;
  return cloud;
}

describe('Voxelizer', () => {
  it.each([
    ['PerAct bounds, 20^3', PERACT_BOUNDS, 20],
    ['odd bounds, 7^3', [-0.13, 0.2, 0.71, 0.9, 0.95, 1.33] as SceneBounds, 7],
    ['unit cube, 1 voxel', [0, 0, 0, 1, 1, 1] as SceneBounds, 1],
  ])('equals the per-point reference bit for bit (%s)', (_label, bounds, size) => {
    const rng = new Rng(7);
    const vox = new Voxelizer({ bounds, size });
    for (let round = 0; round < 3; round++) {
      const cloud = randomCloud(rng, 5000, bounds, size);
      const grid = vox.voxelize(cloud); // reuse across rounds exercises the clearing path
      const ref = referenceGrid(cloud, bounds, size);
      expect(Buffer.from(grid.data.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
    }
  });

  it('puts points on the upper bound in the last voxel and drops points just beyond it', () => {
    const bounds: SceneBounds = [0, 0, 0, 1, 1, 1];
    const cloud = allocatePointCloud(3);
    cloud.positions.set([1, 1, 1, 1.0001, 0.5, 0.5, -0.0001, 0.5, 0.5]);
    cloud.count = 3;
    const grid = new Voxelizer({ bounds, size: 4 }).voxelize(cloud);
    expect(grid.occupied).toBe(1);
    expect(grid.pointsInside).toBe(1);
    const last = ((3 * 4 + 3) * 4 + 3) * 10;
    expect(grid.data[last + 9]).toBe(1);
    expect(Array.from(grid.data.subarray(last + 6, last + 9))).toEqual([0.75, 0.75, 0.75]);
  });

  it('has the documented channel order and layout [x][y][z][channel]', () => {
    const bounds: SceneBounds = [0, 0, 0, 1, 1, 1];
    const cloud = allocatePointCloud(2);
    // two points in voxel (1, 0, 2) of a 4^3 grid
    cloud.positions.set([0.3, 0.1, 0.6, 0.4, 0.2, 0.7]);
    cloud.colours.set([255, 0, 0, 255, 255, 0]);
    cloud.count = 2;
    const grid = new Voxelizer({ bounds, size: 4 }).voxelize(cloud);
    const o = ((1 * 4 + 0) * 4 + 2) * 10;
    const f = Array.from(grid.data.subarray(o, o + 10));
    expect(f[0]).toBeCloseTo(0.35, 6);
    expect(f[1]).toBeCloseTo(0.15, 6);
    expect(f[2]).toBeCloseTo(0.65, 6);
    expect(f.slice(3, 6)).toEqual([1, 0, -1]);
    expect(f.slice(6, 9)).toEqual([0.25, 0, 0.5]);
    expect(f[9]).toBe(1);
    // an empty voxel carries only its index
    const e = ((3 * 4 + 2) * 4 + 1) * 10;
    expect(Array.from(grid.data.subarray(e, e + 10))).toEqual([0, 0, 0, 0, 0, 0, 0.75, 0.5, 0.25, 0]);
  });

  it('voxel centres are min + res * (i + 0.5)', () => {
    const c = voxelCentre([0, 50, 99], PERACT_BOUNDS, 100);
    expect(c[0]).toBeCloseTo(-0.295, 12);
    expect(c[1]).toBeCloseTo(0.005, 12);
    expect(c[2]).toBeCloseTo(1.595, 12);
  });

  it('rejects bad bounds, sizes and clouds naming the field', () => {
    expect(() => new Voxelizer({ bounds: [0, 0, 1, 1, 1, 1] })).toThrow(/bounds\[2\].*min \(1\) must be < max/);
    expect(() => new Voxelizer({ bounds: [0, 0, 0, 1, 1, Number.NaN] })).toThrow(/bounds\[5\]: must be finite/);
    expect(() => new Voxelizer({ size: 0 })).toThrow(/size: must be an integer >= 1/);
    expect(() => new Voxelizer({ size: 2.5 })).toThrow(/size/);
    const vox = new Voxelizer({ size: 4 });
    expect(() => vox.voxelize({ positions: new Float32Array(3), colours: new Uint8Array(3), count: 2 })).toThrow(/cloud.positions/);
    expect(() => vox.voxelize({ positions: new Float32Array(6), colours: new Uint8Array(3), count: 2 })).toThrow(/cloud.colours/);
  });
});
