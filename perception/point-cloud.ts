/** A coloured point cloud in the world frame, stored flat for speed. */
export interface PointCloud {
  /** xyz per point in metres; only the first `count * 3` entries are valid. */
  positions: Float32Array;
  /** rgb per point, 0-255; only the first `count * 3` entries are valid. */
  colours: Uint8Array;
  count: number;
}

export function allocatePointCloud(capacity: number): PointCloud {
  return { positions: new Float32Array(capacity * 3), colours: new Uint8Array(capacity * 3), count: 0 };
}
