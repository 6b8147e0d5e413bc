/**
 * The rasterizer's pixel loop: one screen-space triangle into the depth, colour and mask
 * buffers, with exact edge functions on a snapped subpixel grid (rasterizer.ts has the
 * conventions: pixel sampling at integer coordinates, perspective-correct depth, shared edges
 * drawn once).
 */

// Vertex coordinates snap to multiples of 1/SUBPIXEL so that edge functions are exact in doubles.
export const SUBPIXEL = 256;
// Edge values are multiples of 1/SUBPIXEL^2; a threshold of half that turns `>=` into `>`.
const NOT_OWNED_THRESHOLD = 0.5 / (SUBPIXEL * SUBPIXEL);

/** Where the pixel loop writes; plain fields read into locals once per triangle. */
export interface Target {
  width: number;
  height: number;
  depth: Float32Array;
  rgb: Uint8Array;
  mask: Uint16Array;
  farMetres: number;
}

/**
 * Fills one triangle given in snapped screen coordinates with 1/z and shade per vertex; 1/z at
 * pixel (x, y) is izA x + izB y + izC (the caller's exact plane). Pixel (x, y) is sampled at
 * (x, y) (see the file comment). Inner loop: no allocation, no calls.
 */
export function rasterizeTriangle(
  t: Target,
  u0: number, v0: number, iz0: number, s0: number,
  u1: number, v1: number, iz1: number, s1: number,
  u2: number, v2: number, iz2: number, s2: number,
  izA: number, izB: number, izC: number,
  r: number, g: number, b: number, id: number,
): void {
  let area = (u1 - u0) * (v2 - v0) - (v1 - v0) * (u2 - u0);
  if (area === 0) return;
  if (area < 0) {
    // Make the winding positive so that "inside" is all edge functions >= 0.
    let tmp = u1; u1 = u2; u2 = tmp;
    tmp = v1; v1 = v2; v2 = tmp;
    tmp = iz1; iz1 = iz2; iz2 = tmp;
    tmp = s1; s1 = s2; s2 = tmp;
    area = -area;
  }
  const W = t.width;
  const H = t.height;
  const minX = Math.max(0, Math.ceil(Math.min(u0, u1, u2)));
  const maxX = Math.min(W - 1, Math.floor(Math.max(u0, u1, u2)));
  const minY = Math.max(0, Math.ceil(Math.min(v0, v1, v2)));
  const maxY = Math.min(H - 1, Math.floor(Math.max(v0, v1, v2)));
  if (minX > maxX || minY > maxY) return;

  // Edge k is opposite vertex k; its value at p, divided by area, is vertex k's barycentric weight.
  // E(a, b, p) = (b.u - a.u) (p.v - a.v) - (b.v - a.v) (p.u - a.u).
  const du0 = u2 - u1, dv0 = v2 - v1; // edge 0: 1 -> 2
  const du1 = u0 - u2, dv1 = v0 - v2; // edge 1: 2 -> 0
  const du2 = u1 - u0, dv2 = v1 - v0; // edge 2: 0 -> 1
  // Ownership rule (the top-left rule's mirror: with this winding it owns right and bottom
  // edges): a pixel exactly on an edge belongs to exactly one of the two triangles sharing it.
  const t0 = dv0 > 0 || (dv0 === 0 && du0 < 0) ? 0 : NOT_OWNED_THRESHOLD;
  const t1 = dv1 > 0 || (dv1 === 0 && du1 < 0) ? 0 : NOT_OWNED_THRESHOLD;
  const t2 = dv2 > 0 || (dv2 === 0 && du2 < 0) ? 0 : NOT_OWNED_THRESHOLD;
  let e0Row = du0 * (minY - v1) - dv0 * (minX - u1);
  let e1Row = du1 * (minY - v2) - dv1 * (minX - u2);
  let e2Row = du2 * (minY - v0) - dv2 * (minX - u0);

  // shade/z is affine in screen space, like 1/z: a plane a u + b v + c.
  const inv = 1 / area;
  const sz0 = s0 * iz0, sz1 = s1 * iz1, sz2 = s2 * iz2;
  const szA = -(dv0 * sz0 + dv1 * sz1 + dv2 * sz2) * inv;
  const szB = (du0 * sz0 + du1 * sz1 + du2 * sz2) * inv;
  const szC = sz0 - szA * u0 - szB * v0;

  const depth = t.depth;
  const rgb = t.rgb;
  const mask = t.mask;
  const far = t.farMetres;
  for (let y = minY; y <= maxY; y++) {
    let e0 = e0Row, e1 = e1Row, e2 = e2Row;
    let entered = false;
    const row = y * W;
    const izRow = izB * y + izC;
    const szRow = szB * y + szC;
    for (let x = minX; x <= maxX; x++) {
      if (e0 >= t0 && e1 >= t1 && e2 >= t2) {
        entered = true;
        const iz = izA * x + izRow;
        const z = 1 / iz;
        const i = row + x;
        const d = depth[i];
        // z > 0 guards slivers seen almost edge-on, whose plane can extrapolate behind the camera.
        if (z > 0 && z <= far && (d === 0 || z < d)) {
          depth[i] = z;
          mask[i] = id;
          const s = (szA * x + szRow) * z;
          const j = i * 3;
          const cr = r * s, cg = g * s, cb = b * s;
          rgb[j] = cr >= 255 ? 255 : (cr + 0.5) | 0;
          rgb[j + 1] = cg >= 255 ? 255 : (cg + 0.5) | 0;
          rgb[j + 2] = cb >= 255 ? 255 : (cb + 0.5) | 0;
        }
      } else if (entered) {
        break; // convex: once out again, the rest of the row is out too
      }
      e0 -= dv0;
      e1 -= dv1;
      e2 -= dv2;
    }
    e0Row += du0;
    e1Row += du1;
    e2Row += du2;
  }
}
