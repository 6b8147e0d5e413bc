// Over 400 lines: a third is the conventions comment below, and the rest is one object: the
// mesh caches and scratch buffers are shared by the vertex transform, the near-plane clipping
// and the cache rebuild. The pixel loop is in triangle.ts, camera checks and frames in
// render-frame.ts.
import { BackSide, BufferGeometry, Color, DoubleSide, Matrix3, Matrix4, Mesh, SRGBColorSpace, Vector3 } from 'three';
import type { Material, Object3D } from 'three';
import { assertFiniteArray, assertFiniteNumber, checkedMatrix4, invalidArgument } from '../../core/index.js';
import type { CameraFrame, CameraIntrinsics, Vec3 } from '../../core/index.js';
import { addDepthNoise, checkCamera, checkClipRange, prepareFrame, type DepthNoiseOptions, type RenderCamera } from './render-frame.js';
import { rasterizeTriangle, SUBPIXEL, type Target } from './triangle.js';

export type { DepthNoiseOptions, RenderCamera } from './render-frame.js';

/**
 * A z-buffer triangle rasterizer in plain TypeScript over a three.js scene graph: it renders
 * RGB, metric depth and object-id masks for the simulator's cameras without WebGL (headless-gl
 * needs a native build and an X server; per-pixel ray casting is ~100x slower, docs/design.md).
 *
 * Conventions (the ones perception/ back-projects with):
 * - Camera frame: ROS optical (+z forward, +x right, +y down); `worldFromCamera` row-major.
 * - Pixel sampling: the sample of column u, row v sits at image coordinates (u, v) exactly,
 *   NOT (u + 0.5, v + 0.5). A camera-frame point (x, y, z) projects to
 *   u = fx x / z + cx, v = fy y / z + cy, so back-projecting pixel (u, v) with depth z as
 *   x = (u - cx) z / fx, y = (v - cy) z / fy lands on the rendered surface exactly (up to
 *   float32 depth rounding). With this convention an image symmetric about the optical axis
 *   has cx = (W - 1) / 2, cy = (H - 1) / 2 (cameras.ts uses that).
 * - Depth is z along the optical axis in metres, 0 where nothing was hit, and for surfaces
 *   nearer than `nearMetres` or farther than `farMetres` (those are clipped).
 * - `mask` holds `userData.objectId` of the mesh (or of its nearest ancestor that has one),
 *   0 for background.
 * - Shading: Lambert, per-vertex (Gouraud) from the geometry's normals, with one fixed
 *   directional light plus ambient: colour * (ambient + diffuse * max(0, n . l)), applied to
 *   the material colour read in sRGB (the space the scene spec gives colours in).
 *
 * Triangles are clipped against the near plane (the wrist camera sits centimetres from what it
 * grasps). Depth is perspective-correct: 1/z is affine in screen space, and its plane is taken
 * from the triangle's camera-frame plane, so a pixel's depth is the exact ray-plane hit.
 * Vertices snap to a 1/256-pixel grid for coverage only, so edge functions are exact and a
 * shared edge is drawn exactly once (a top-left-style rule; no cracks in depth). Back faces are culled for FrontSide / BackSide materials,
 * kept for DoubleSide. Supported: Mesh with BufferGeometry (indexed or not), single materials
 * or material arrays with geometry groups; InstancedMesh, SkinnedMesh, morph targets, textures
 * and vertex colours are not.
 *
 * Hot path: the vertex and pixel loops use hand-written arithmetic on typed arrays rather than
 * three.js Vector3 (measured: object math there costs several times the whole frame budget).
 */

export interface RasterizerOptions {
  /** Direction towards the light in the world frame; normalized. Default [0.4, 0.3, 1]. */
  lightDirection?: Vec3;
  /** Default 0.4. */
  ambient?: number;
  /** Default 0.6. */
  diffuse?: number;
  /** Background colour, 0-255. Default [0, 0, 0]. */
  backgroundRgb?: [number, number, number];
  /** Default 0.01 m. */
  nearMetres?: number;
  /** Default 10 m. */
  farMetres?: number;
  /** Off when omitted. */
  depthNoise?: DepthNoiseOptions;
}

export interface RenderOptions {
  /** Call `root.updateMatrixWorld()` first. Default true; pass false when rendering several cameras of one unchanged scene. */
  updateMatrixWorld?: boolean;
}

interface MeshCache {
  geometry: BufferGeometry;
  positionVersion: number;
  indexVersion: number;
  vertexCount: number;
  /** Local-frame positions xyz. */
  local: Float64Array;
  /** Local-frame unit normals xyz, or null (flat shading from the triangle then). */
  normals: Float64Array | null;
  /** Triangle vertex indices, three per triangle (built for non-indexed geometry too). */
  index: Uint32Array;
  /** Per camera, rewritten each render: camera-frame xyz, screen u, v (snapped), 1/z, shade. */
  cam: Float64Array;
  screen: Float64Array;
  shade: Float64Array;
}

export class Rasterizer {
  private readonly light: Vec3;
  private readonly ambient: number;
  private readonly diffuse: number;
  private readonly background: [number, number, number];
  private readonly nearMetres: number;
  private readonly farMetres: number;
  private readonly depthNoise: DepthNoiseOptions | undefined;
  private readonly caches = new WeakMap<Mesh, MeshCache>();
  // Scratch, reused across meshes and frames.
  private readonly camFromWorld = new Matrix4();
  private readonly camFromLocal = new Matrix4();
  private readonly normalMatrix = new Matrix3();
  private readonly colour = new Color();
  private readonly rgbScratch = { r: 0, g: 0, b: 0 };
  private readonly lightCam = new Vector3();
  private readonly clipIn = new Float64Array(3 * 4);
  private readonly clip = new Float64Array(4 * 5);
  private readonly meshes: Mesh[] = [];

  constructor(options: RasterizerOptions = {}) {
    const l = options.lightDirection ?? [0.4, 0.3, 1];
    assertFiniteArray(l, 3, 'options.lightDirection');
    const n = Math.hypot(l[0], l[1], l[2]);
    if (n < 1e-9) throw invalidArgument('options.lightDirection', 'must not be the zero vector');
    this.light = [l[0] / n, l[1] / n, l[2] / n];
    this.ambient = options.ambient ?? 0.4;
    this.diffuse = options.diffuse ?? 0.6;
    assertFiniteNumber(this.ambient, 'options.ambient');
    assertFiniteNumber(this.diffuse, 'options.diffuse');
    if (this.ambient < 0) throw invalidArgument('options.ambient', 'must be >= 0');
    if (this.diffuse < 0) throw invalidArgument('options.diffuse', 'must be >= 0');
    const bg = options.backgroundRgb ?? [0, 0, 0];
    assertFiniteArray(bg, 3, 'options.backgroundRgb');
    bg.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c > 255) throw invalidArgument(`options.backgroundRgb[${i}]`, 'must be an integer in [0, 255]');
    });
    this.background = [bg[0], bg[1], bg[2]];
    this.nearMetres = options.nearMetres ?? 0.01;
    this.farMetres = options.farMetres ?? 10;
    checkClipRange(this.nearMetres, this.farMetres, 'options');
    if (options.depthNoise) {
      const dn = options.depthNoise;
      assertFiniteNumber(dn.stdMetres, 'options.depthNoise.stdMetres');
      if (dn.stdMetres < 0) throw invalidArgument('options.depthNoise.stdMetres', 'must be >= 0');
      const q = dn.stdPerMetreSquared ?? 0;
      assertFiniteNumber(q, 'options.depthNoise.stdPerMetreSquared');
      if (q < 0) throw invalidArgument('options.depthNoise.stdPerMetreSquared', 'must be >= 0');
      if (!dn.rng || typeof dn.rng.normal !== 'function') throw invalidArgument('options.depthNoise.rng', 'must be a core Rng');
    }
    this.depthNoise = options.depthNoise;
  }

  /**
   * Renders `camera` over every visible mesh under `root`. Writes into `target` when it is given
   * and has the camera's size (its buffers are reused: no per-frame allocation), else into a new
   * frame. Returns the frame written.
   */
  render(root: Object3D, camera: RenderCamera, target?: CameraFrame, options: RenderOptions = {}): CameraFrame {
    if (!root || typeof (root as Object3D).traverseVisible !== 'function') throw invalidArgument('root', 'must be a three.js Object3D');
    const { width, height, intrinsics } = checkCamera(camera);
    const worldFromCamera = checkedMatrix4(camera.worldFromCamera, 'camera.worldFromCamera');
    const near = camera.nearMetres ?? this.nearMetres;
    const far = camera.farMetres ?? this.farMetres;
    checkClipRange(near, far, 'camera');

    const frame = prepareFrame(camera, width, height, intrinsics, worldFromCamera, target);
    const pixels = width * height;
    const bg = this.background;
    for (let i = 0, j = 0; i < pixels; i++, j += 3) {
      frame.rgb[j] = bg[0];
      frame.rgb[j + 1] = bg[1];
      frame.rgb[j + 2] = bg[2];
    }
    frame.depthMetres.fill(0);
    frame.mask!.fill(0);

    if (options.updateMatrixWorld ?? true) root.updateMatrixWorld();
    const w = worldFromCamera;
    // Matrix4.set takes row-major arguments.
    this.camFromWorld.set(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], 0, 0, 0, 1).invert();
    // Light direction in the camera frame, for geometry without normals (flat shading there).
    const cw = this.camFromWorld.elements;
    const [lx, ly, lz] = this.light;
    this.lightCam.set(cw[0] * lx + cw[4] * ly + cw[8] * lz, cw[1] * lx + cw[5] * ly + cw[9] * lz, cw[2] * lx + cw[6] * ly + cw[10] * lz);

    const t: Target = { width, height, depth: frame.depthMetres, rgb: frame.rgb, mask: frame.mask!, farMetres: far };
    const meshes = this.meshes;
    meshes.length = 0;
    root.traverseVisible((o) => {
      if ((o as Mesh).isMesh) meshes.push(o as Mesh);
    });
    for (const mesh of meshes) this.drawMesh(mesh, root, t, intrinsics, near, far);
    meshes.length = 0;

    if (this.depthNoise) addDepthNoise(frame.depthMetres, this.depthNoise);
    return frame;
  }

  private drawMesh(mesh: Mesh, root: Object3D, t: Target, k: CameraIntrinsics, near: number, far: number): void {
    const geometry = mesh.geometry as BufferGeometry | undefined;
    if (!geometry || !geometry.isBufferGeometry || !geometry.getAttribute('position')) return;
    const cache = this.cacheFor(mesh, geometry);
    if (cache.vertexCount === 0) return;
    const objectId = objectIdOf(mesh, root);

    // Vertex stage: local -> camera frame, project, shade (camera independent, but cheap).
    const m = this.camFromLocal.multiplyMatrices(this.camFromWorld, mesh.matrixWorld).elements;
    const { local, cam, screen, shade, normals, vertexCount } = cache;
    const { fx, fy, cx, cy } = k;
    let anyInFront = false;
    for (let i = 0, j = 0; i < vertexCount; i++, j += 3) {
      const x = local[j];
      const y = local[j + 1];
      const z = local[j + 2];
      const xc = m[0] * x + m[4] * y + m[8] * z + m[12];
      const yc = m[1] * x + m[5] * y + m[9] * z + m[13];
      const zc = m[2] * x + m[6] * y + m[10] * z + m[14];
      cam[j] = xc;
      cam[j + 1] = yc;
      cam[j + 2] = zc;
      if (zc >= near) {
        anyInFront = true;
        const iz = 1 / zc;
        screen[j] = Math.round((fx * xc * iz + cx) * SUBPIXEL) / SUBPIXEL;
        screen[j + 1] = Math.round((fy * yc * iz + cy) * SUBPIXEL) / SUBPIXEL;
        screen[j + 2] = iz;
      }
    }
    if (!anyInFront) return;
    if (normals) {
      const n = this.normalMatrix.getNormalMatrix(mesh.matrixWorld).elements;
      const [lx, ly, lz] = this.light;
      const amb = this.ambient;
      const dif = this.diffuse;
      for (let i = 0, j = 0; i < vertexCount; i++, j += 3) {
        const a = normals[j];
        const b = normals[j + 1];
        const c = normals[j + 2];
        const nx = n[0] * a + n[3] * b + n[6] * c;
        const ny = n[1] * a + n[4] * b + n[7] * c;
        const nz = n[2] * a + n[5] * b + n[8] * c;
        const len = Math.sqrt(nx * nx + ny * ny + nz * nz);
        const d = len > 0 ? (nx * lx + ny * ly + nz * lz) / len : 0;
        shade[i] = amb + (d > 0 ? dif * d : 0);
      }
    }

    const materials = mesh.material;
    if (Array.isArray(materials)) {
      for (const group of geometry.groups) {
        const material = materials[group.materialIndex ?? 0];
        if (!material) continue;
        const start = Math.max(0, group.start);
        const end = Math.min(cache.index.length, group.start + group.count);
        this.drawTriangles(cache, material, start, end, objectId, t, k, near, far);
      }
    } else if (materials) {
      this.drawTriangles(cache, materials, 0, cache.index.length, objectId, t, k, near, far);
    }
  }

  private drawTriangles(
    cache: MeshCache,
    material: Material,
    start: number,
    end: number,
    objectId: number,
    t: Target,
    k: CameraIntrinsics,
    near: number,
    far: number,
  ): void {
    if (!material.visible) return;
    const c = (material as Material & { color?: unknown }).color;
    if (c instanceof Color) c.getRGB(this.rgbScratch, SRGBColorSpace);
    else this.rgbScratch.r = this.rgbScratch.g = this.rgbScratch.b = 1;
    const r = this.rgbScratch.r * 255;
    const g = this.rgbScratch.g * 255;
    const b = this.rgbScratch.b * 255;
    // +1: keep triangles facing the camera (n . a < 0), -1: keep those facing away, 0: keep both.
    const keep = material.side === DoubleSide ? 0 : material.side === BackSide ? -1 : 1;
    const { index, cam, screen, shade, normals } = cache;
    const W = t.width;
    const H = t.height;
    const flat = normals === null;
    const lc = this.lightCam;
    const amb = this.ambient;
    const dif = this.diffuse;
    const clip = this.clip;
    const { fx, fy, cx, cy } = k;

    for (let tri = start - (start % 3); tri + 2 < end; tri += 3) {
      const ia = index[tri];
      const ib = index[tri + 1];
      const ic = index[tri + 2];
      const a3 = ia * 3;
      const b3 = ib * 3;
      const c3 = ic * 3;
      const za = cam[a3 + 2];
      const zb = cam[b3 + 2];
      const zc = cam[c3 + 2];
      if ((za < near && zb < near && zc < near) || (za > far && zb > far && zc > far)) continue;
      const xa = cam[a3];
      const ya = cam[a3 + 1];
      const e1x = cam[b3] - xa;
      const e1y = cam[b3 + 1] - ya;
      const e1z = zb - za;
      const e2x = cam[c3] - xa;
      const e2y = cam[c3 + 1] - ya;
      const e2z = zc - za;
      const nx = e1y * e2z - e1z * e2y;
      const ny = e1z * e2x - e1x * e2z;
      const nz = e1x * e2y - e1y * e2x;
      const facing = nx * xa + ny * ya + nz * za; // < 0: front face (counter-clockwise seen from the camera)
      if ((keep === 1 && facing >= 0) || (keep === -1 && facing <= 0)) continue;
      if (facing === 0) continue; // seen exactly edge-on
      // 1/z over the image straight from the triangle's plane n . p = facing, with
      // p = z ((u - cx) / fx, (v - cy) / fy, 1): exact, unaffected by the vertex snapping.
      const izA = nx / (fx * facing);
      const izB = ny / (fy * facing);
      const izC = (nz - (nx * cx) / fx - (ny * cy) / fy) / facing;

      let sa: number, sb: number, sc: number;
      if (flat) {
        const len = Math.sqrt(nx * nx + ny * ny + nz * nz);
        const d = len > 0 ? (nx * lc.x + ny * lc.y + nz * lc.z) / len : 0;
        sa = sb = sc = amb + (d > 0 ? dif * d : 0);
      } else {
        sa = shade[ia];
        sb = shade[ib];
        sc = shade[ic];
      }

      if (za >= near && zb >= near && zc >= near) {
        const ua = screen[a3], ub = screen[b3], uc = screen[c3];
        const va = screen[a3 + 1], vb = screen[b3 + 1], vc = screen[c3 + 1];
        // Whole triangle off-image: skip before any setup.
        if ((ua < 0 && ub < 0 && uc < 0) || (ua > W - 1 && ub > W - 1 && uc > W - 1)) continue;
        if ((va < 0 && vb < 0 && vc < 0) || (va > H - 1 && vb > H - 1 && vc > H - 1)) continue;
        rasterizeTriangle(t, ua, va, screen[a3 + 2], sa, ub, vb, screen[b3 + 2], sb, uc, vc, screen[c3 + 2], sc, izA, izB, izC, r, g, b, objectId);
        continue;
      }

      // Near-plane clipping (Sutherland-Hodgman against z = near): 1 triangle in, 3 or 4 vertices out.
      const tri3 = this.clipIn; // x, y, z, shade per corner
      tri3[0] = xa; tri3[1] = ya; tri3[2] = za; tri3[3] = sa;
      tri3[4] = cam[b3]; tri3[5] = cam[b3 + 1]; tri3[6] = zb; tri3[7] = sb;
      tri3[8] = cam[c3]; tri3[9] = cam[c3 + 1]; tri3[10] = zc; tri3[11] = sc;
      let n = 0;
      for (let i = 0; i < 3; i++) {
        const p = i * 4;
        const q = i === 2 ? 0 : p + 4;
        const inI = tri3[p + 2] >= near;
        const inJ = tri3[q + 2] >= near;
        if (inI) {
          for (let c = 0; c < 4; c++) clip[n * 5 + c] = tri3[p + c];
          n++;
        }
        if (inI !== inJ) {
          const f = (near - tri3[p + 2]) / (tri3[q + 2] - tri3[p + 2]);
          for (let c = 0; c < 4; c++) clip[n * 5 + c] = tri3[p + c] + f * (tri3[q + c] - tri3[p + c]);
          clip[n * 5 + 2] = near;
          n++;
        }
      }
      // Project the clipped polygon in place: x -> u, y -> v, z -> 1/z.
      for (let i = 0; i < n; i++) {
        const o = i * 5;
        const iz = 1 / clip[o + 2];
        clip[o] = Math.round((fx * clip[o] * iz + cx) * SUBPIXEL) / SUBPIXEL;
        clip[o + 1] = Math.round((fy * clip[o + 1] * iz + cy) * SUBPIXEL) / SUBPIXEL;
        clip[o + 2] = iz;
      }
      for (let i = 1; i + 1 < n; i++) {
        const p = i * 5;
        const q = (i + 1) * 5;
        rasterizeTriangle(t, clip[0], clip[1], clip[2], clip[3], clip[p], clip[p + 1], clip[p + 2], clip[p + 3], clip[q], clip[q + 1], clip[q + 2], clip[q + 3], izA, izB, izC, r, g, b, objectId);
      }
    }
  }

  private cacheFor(mesh: Mesh, geometry: BufferGeometry): MeshCache {
    const position = geometry.getAttribute('position');
    const positionVersion = (position as { version?: number }).version ?? 0;
    const idx = geometry.getIndex();
    const indexVersion = idx ? idx.version : -1;
    const old = this.caches.get(mesh);
    if (old && old.geometry === geometry && old.positionVersion === positionVersion && old.indexVersion === indexVersion) return old;

    const vertexCount = position.count;
    const local = new Float64Array(vertexCount * 3);
    for (let i = 0; i < vertexCount; i++) {
      local[i * 3] = position.getX(i);
      local[i * 3 + 1] = position.getY(i);
      local[i * 3 + 2] = position.getZ(i);
    }
    const normalAttr = geometry.getAttribute('normal');
    let normals: Float64Array | null = null;
    if (normalAttr && normalAttr.count === vertexCount) {
      normals = new Float64Array(vertexCount * 3);
      for (let i = 0; i < vertexCount; i++) {
        normals[i * 3] = normalAttr.getX(i);
        normals[i * 3 + 1] = normalAttr.getY(i);
        normals[i * 3 + 2] = normalAttr.getZ(i);
      }
    }
    let index: Uint32Array;
    if (idx) {
      index = new Uint32Array(idx.count);
      for (let i = 0; i < idx.count; i++) {
        const v = idx.getX(i);
        if (v >= vertexCount) throw invalidArgument(`mesh "${mesh.name}".geometry.index[${i}]`, `vertex ${v} out of range (${vertexCount} vertices)`);
        index[i] = v;
      }
    } else {
      index = new Uint32Array(vertexCount - (vertexCount % 3));
      for (let i = 0; i < index.length; i++) index[i] = i;
    }
    const cache: MeshCache = {
      geometry,
      positionVersion,
      indexVersion,
      vertexCount,
      local,
      normals,
      index,
      cam: new Float64Array(vertexCount * 3),
      screen: new Float64Array(vertexCount * 3),
      shade: new Float64Array(vertexCount),
    };
    this.caches.set(mesh, cache);
    return cache;
  }
}

function objectIdOf(mesh: Mesh, root: Object3D): number {
  for (let o: Object3D | null = mesh; o; o = o === root ? null : o.parent) {
    const id = (o.userData as { objectId?: unknown }).objectId;
    if (id === undefined) continue;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 65535) {
      throw invalidArgument(`"${o.name}".userData.objectId`, `must be an integer in [0, 65535], got ${String(id)}`);
    }
    return id;
  }
  return 0;
}

