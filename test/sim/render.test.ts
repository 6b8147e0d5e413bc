import { describe, expect, it } from 'vitest';
import { BackSide, BufferAttribute, BufferGeometry, DoubleSide, Group, Matrix4, Mesh, MeshLambertMaterial, PlaneGeometry, Quaternion, Vector3 } from 'three';
import { PeractError, Rng, matrixFromPose, type CameraFrame, type Pose, type Vec3 } from '../../core/index.js';
import { backProject } from '../../perception/index.js';
import type { SceneSpec } from '../../sim/scene.js';
import {
  CAMERA_NAMES,
  Rasterizer,
  applyPoses,
  buildSceneGraph,
  createDefaultCameraRig,
  intrinsicsFromFov,
  lookAt,
  renderCameras,
  type RenderCamera,
} from '../../sim/render/index.js';

const W = 96;
const H = 80;
const K = intrinsicsFromFov(W, H, (50 * Math.PI) / 180);
const BOX_ID = 7;
const HALF: Vec3 = [0.1, 0.15, 0.05];
const BOX_POSE: Pose = {
  positionMetres: [0.3, 0.1, 0.8],
  // 30 degrees about z, so the oblique camera sees a rotated box.
  quaternion: [0, 0, Math.sin(Math.PI / 12), Math.cos(Math.PI / 12)],
};

function boxScene(pose: Pose = BOX_POSE, colour: Vec3 = [1, 0, 0]): SceneSpec {
  return {
    bodies: [{ name: 'box', objectId: BOX_ID, motion: 'free', pose, geoms: [{ shape: { kind: 'box', halfExtentsMetres: HALF }, colour }] }],
  };
}

function camera(eye: Vec3, target: Vec3, up: Vec3 = [0, 0, 1], near?: number): RenderCamera {
  return { name: 'test', width: W, height: H, intrinsics: K, worldFromCamera: lookAt(eye, target, up), nearMetres: near };
}

function rowMajor(m: ArrayLike<number>): Matrix4 {
  return new Matrix4().fromArray(Array.from(m)).transpose();
}

/** Camera-frame ray direction of pixel (u, v) with z = 1, the back-projection perception uses. */
function rayDir(frame: CameraFrame, u: number, v: number): Vector3 {
  const k = frame.intrinsics;
  return new Vector3((u - k.cx) / k.fx, (v - k.cy) / k.fy, 1);
}

/** Analytic depth (camera z) where pixel (u, v)'s ray meets the box, or 0 (slab method in the box frame). */
function analyticBoxDepth(frame: CameraFrame, u: number, v: number, boxFromWorld: Matrix4): number {
  const wfc = rowMajor(frame.worldFromCamera);
  const boxFromCam = boxFromWorld.clone().multiply(wfc);
  const o = new Vector3(0, 0, 0).applyMatrix4(boxFromCam);
  const d = rayDir(frame, u, v).transformDirection(boxFromCam).multiplyScalar(rayDir(frame, u, v).length());
  let t0 = -Infinity;
  let t1 = Infinity;
  for (const [oi, di, h] of [[o.x, d.x, HALF[0]], [o.y, d.y, HALF[1]], [o.z, d.z, HALF[2]]] as const) {
    if (Math.abs(di) < 1e-12) {
      if (Math.abs(oi) > h) return 0;
      continue;
    }
    const a = (-h - oi) / di;
    const b = (h - oi) / di;
    t0 = Math.max(t0, Math.min(a, b));
    t1 = Math.min(t1, Math.max(a, b));
  }
  // d has z = 1 in the camera frame, so the ray parameter is the camera depth.
  return t0 <= t1 && t0 > 0 ? t0 : 0;
}

function boxFromWorld(pose: Pose = BOX_POSE): Matrix4 {
  return rowMajor(matrixFromPose(pose)).invert();
}

/** Pixels whose 8 neighbours all carry the same mask id (away from silhouettes and box edges seen edge-on). */
function interior(frame: CameraFrame, id: number): number[] {
  const out: number[] = [];
  for (let v = 1; v < frame.height - 1; v++) {
    for (let u = 1; u < frame.width - 1; u++) {
      let ok = true;
      for (let dv = -1; dv <= 1 && ok; dv++) for (let du = -1; du <= 1 && ok; du++) ok = frame.mask![(v + dv) * frame.width + u + du] === id;
      if (ok) out.push(v * frame.width + u);
    }
  }
  return out;
}

function expectDepthMatchesBox(frame: CameraFrame, minInterior: number): void {
  const inv = boxFromWorld();
  const pixels = interior(frame, BOX_ID);
  expect(pixels.length).toBeGreaterThan(minInterior);
  let worst = 0;
  for (const i of pixels) {
    const expected = analyticBoxDepth(frame, i % frame.width, Math.floor(i / frame.width), inv);
    expect(expected).toBeGreaterThan(0);
    worst = Math.max(worst, Math.abs(frame.depthMetres[i] - expected));
  }
  expect(worst).toBeLessThan(1e-3);
  // Every pixel away from the silhouette agrees with the analytic hit test.
  for (let v = 1; v < frame.height - 1; v++) {
    for (let u = 1; u < frame.width - 1; u++) {
      const hits = [-1, 0, 1].flatMap((dv) => [-1, 0, 1].map((du) => analyticBoxDepth(frame, u + du, v + dv, inv) > 0));
      if (hits.every((h) => h) || hits.every((h) => !h)) {
        const i = v * frame.width + u;
        expect(frame.mask![i]).toBe(hits[4] ? BOX_ID : 0);
        expect(frame.depthMetres[i] > 0).toBe(hits[4]);
      }
    }
  }
}

/** Distance from a world point to the box surface. */
function distanceToBoxSurface(p: Vector3, inv: Matrix4): number {
  const q = p.clone().applyMatrix4(inv);
  const e = [Math.abs(q.x) - HALF[0], Math.abs(q.y) - HALF[1], Math.abs(q.z) - HALF[2]];
  const outside = Math.hypot(Math.max(e[0], 0), Math.max(e[1], 0), Math.max(e[2], 0));
  return outside > 0 ? outside : -Math.max(...e);
}

function expectPointsOnBox(frame: CameraFrame): void {
  const cloud = backProject(frame);
  const hit = frame.mask!.reduce((n, id) => n + (id === BOX_ID ? 1 : 0), 0);
  expect(cloud.count).toBe(hit);
  const inv = boxFromWorld();
  let worst = 0;
  for (let i = 0; i < cloud.count; i++) {
    const p = new Vector3(cloud.positions[i * 3], cloud.positions[i * 3 + 1], cloud.positions[i * 3 + 2]);
    worst = Math.max(worst, distanceToBoxSurface(p, inv));
  }
  expect(worst).toBeLessThan(2e-3);
}

describe('rasterizer depth', () => {
  const group = buildSceneGraph(boxScene());
  const rasterizer = new Rasterizer();

  it('renders a face seen straight on at the right depth', () => {
    // Looking along the box's -x face normal (world direction rotated by 30 degrees) from 0.6 m.
    const n = new Vector3(1, 0, 0).applyQuaternion(new Quaternion(...BOX_POSE.quaternion));
    const faceCentre = new Vector3(...BOX_POSE.positionMetres).addScaledVector(n, HALF[0]);
    const eye = faceCentre.clone().addScaledVector(n, 0.6);
    const frame = rasterizer.render(group, camera([eye.x, eye.y, eye.z], [faceCentre.x, faceCentre.y, faceCentre.z]));
    const pixels = interior(frame, BOX_ID);
    expect(pixels.length).toBeGreaterThan(300);
    for (const i of pixels) expect(Math.abs(frame.depthMetres[i] - 0.6)).toBeLessThan(1e-3);
    expectDepthMatchesBox(frame, 300);
    expectPointsOnBox(frame);
  });

  it('renders an oblique view at the right depth and back-projects onto the box faces', () => {
    const frame = rasterizer.render(group, camera([0.9, -0.45, 1.3], [0.3, 0.1, 0.8]));
    // Three faces visible; every interior pixel matches the ray-box intersection.
    expectDepthMatchesBox(frame, 300);
    expectPointsOnBox(frame);
    const inv = boxFromWorld();
    // Inline back-projection of the same pixels, as perception/ does it, for the exact pixel convention.
    const wfc = rowMajor(frame.worldFromCamera);
    for (const i of interior(frame, BOX_ID)) {
      const z = frame.depthMetres[i];
      const p = rayDir(frame, i % W, Math.floor(i / W)).multiplyScalar(z).applyMatrix4(wfc);
      expect(Math.abs(distanceToBoxSurface(p, inv))).toBeLessThan(2e-3);
    }
  });

  it('leaves the background at depth 0 and mask 0, with the top-facing mask id', () => {
    const frame = rasterizer.render(group, camera([0.3, 0.1, 1.6], [0.3, 0.1, 0.8], [1, 0, 0]));
    const centre = Math.round(K.cy) * W + Math.round(K.cx);
    expect(frame.mask![centre]).toBe(BOX_ID);
    expect(frame.depthMetres[centre]).toBeCloseTo(1.6 - 0.85, 5);
    expect(frame.mask![0]).toBe(0);
    expect(frame.depthMetres[0]).toBe(0);
    expect(Array.from(frame.rgb.subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it('samples pixel (u, v) at image coordinates (u, v), not (u + 0.5, v + 0.5)', () => {
    // A box edge a quarter pixel right of column 40: sampled at u = 40 the column misses the box,
    // sampled at u + 0.5 it would hit it.
    const z = 1;
    const k = intrinsicsFromFov(W, H, 1);
    const xEdge = ((40.25 - k.cx) * z) / k.fx;
    const cam: RenderCamera = { name: 'c', width: W, height: H, intrinsics: k, worldFromCamera: lookAt([0, 0, 0], [0, 0, -1], [0, 1, 0]) };
    // Camera looks down world -z with image right = world +x: camera x = world x, camera z = -world z.
    const wide = 1;
    const spec: SceneSpec = {
      bodies: [{
        name: 'b', objectId: 3, motion: 'fixed',
        pose: { positionMetres: [xEdge + wide, 0, -z - 0.5], quaternion: [0, 0, 0, 1] },
        geoms: [{ shape: { kind: 'box', halfExtentsMetres: [wide, wide, 0.5] }, colour: [1, 1, 1] }],
      }],
    };
    const frame = new Rasterizer().render(buildSceneGraph(spec), cam);
    const row = 40 * W;
    expect(frame.mask![row + 40]).toBe(0);
    expect(frame.mask![row + 41]).toBe(3);
    expect(frame.depthMetres[row + 41]).toBeCloseTo(z, 6);
  });
});

describe('rasterizer clipping and culling', () => {
  const k = intrinsicsFromFov(W, H, (60 * Math.PI) / 180);
  // Camera at the origin looking along world +x with world z up: camera y (down) = -world z.
  const cam: RenderCamera = { name: 'c', width: W, height: H, intrinsics: k, worldFromCamera: lookAt([0, 0, 0], [1, 0, 0]), nearMetres: 0.05 };

  /** A horizontal quad (two triangles) at height zWorld from 1 m behind the camera to 3 m in front. */
  function floor(zWorld: number, facingUp: boolean, doubleSided = false): Group {
    const g = new BufferGeometry();
    g.setAttribute('position', new BufferAttribute(new Float32Array([-1, -4, zWorld, 3, -4, zWorld, 3, 4, zWorld, -1, 4, zWorld]), 3));
    // Counter-clockwise seen from above = facing up (three.js front faces).
    g.setIndex(facingUp ? [0, 1, 2, 0, 2, 3] : [0, 2, 1, 0, 3, 2]);
    g.computeVertexNormals();
    const material = new MeshLambertMaterial({ color: 0xffffff, side: doubleSided ? DoubleSide : undefined });
    const mesh = new Mesh(g, material);
    mesh.userData.objectId = 9;
    const group = new Group();
    group.add(mesh);
    return group;
  }

  it('clips a triangle crossing the near plane and renders its visible part at the right depth', () => {
    const group = floor(-0.2, true);
    const frame = new Rasterizer().render(group, cam);
    let rendered = 0;
    for (let v = 0; v < H; v++) {
      // Camera y = 0.2 (below), so row v sees the floor at depth z = 0.2 fy / (v - cy), up to 3 m.
      const expected = v > k.cy ? (0.2 * k.fy) / (v - k.cy) : Infinity;
      for (let u = 0; u < W; u++) {
        const d = frame.depthMetres[v * W + u];
        const x = ((u - k.cx) * expected) / k.fx;
        // Inside the quad's footprint (camera x = -world y in [-4, 4]), away from its far edge.
        const inside = expected >= 0.06 && expected <= 2.9 && Math.abs(x) < 3.9;
        if (inside) {
          rendered++;
          expect(Math.abs(d - expected)).toBeLessThan(1e-5 * expected);
          expect(frame.mask![v * W + u]).toBe(9);
        }
        if (expected > 3.01) expect(d).toBe(0);
      }
    }
    expect(rendered).toBeGreaterThan(W * 10);
    // Rows just below the horizon see it far away; rows at the bottom see it near the camera.
    expect(frame.depthMetres[(H - 1) * W + W / 2]).toBeCloseTo((0.2 * k.fy) / (H - 1 - k.cy), 4);
  });

  it('renders nothing behind the camera', () => {
    const spec = boxScene({ positionMetres: [-0.3, 0, 0], quaternion: [0, 0, 0, 1] });
    const frame = new Rasterizer().render(buildSceneGraph(spec), cam);
    expect(frame.depthMetres.every((d) => d === 0)).toBe(true);
    expect(frame.mask!.every((m) => m === 0)).toBe(true);
    // A box straddling the camera plane: only the part in front shows, nothing mirrored.
    const straddle = boxScene({ positionMetres: [0.02, 0, 0.1], quaternion: [0, 0, 0, 1] });
    const f2 = new Rasterizer().render(buildSceneGraph(straddle), cam);
    for (let v = 0; v < H; v++) {
      for (let u = 0; u < W; u++) {
        const d = f2.depthMetres[v * W + u];
        if (d === 0) continue;
        // Every point drawn is in front of the near plane and inside the box's x range.
        expect(d).toBeGreaterThanOrEqual(0.05 - 1e-6);
        expect(d).toBeLessThanOrEqual(0.02 + HALF[0] + 1e-6);
        // Above the camera (box bottom at z = 0.05): rows above the centre only.
        expect(v).toBeLessThan(k.cy);
      }
    }
    // The box's bottom face crosses the near plane and is seen from below.
    expect(f2.mask!.some((m) => m === BOX_ID)).toBe(true);
  });

  it('culls back faces of single-sided materials and keeps double-sided ones', () => {
    // Camera at the origin, floor 0.2 m *above* it: the camera sees its underside.
    const drawn = (g: Group): number => new Rasterizer().render(g, cam).mask!.filter((m) => m === 9).length;
    const facingUp = drawn(floor(0.2, true));
    const facingDown = drawn(floor(0.2, false));
    expect(facingUp).toBe(0);
    expect(facingDown).toBeGreaterThan(W * 10);
    expect(drawn(floor(0.2, true, true))).toBe(facingDown);
    // BackSide: the reverse.
    const back = floor(0.2, true);
    ((back.children[0] as Mesh).material as MeshLambertMaterial).side = BackSide;
    expect(drawn(back)).toBe(facingDown);
  });

  it('leaves no cracks between the triangles of a tessellated surface', () => {
    const plane = new PlaneGeometry(4, 4, 13, 11);
    const mesh = new Mesh(plane, new MeshLambertMaterial({ side: DoubleSide }));
    mesh.userData.objectId = 5;
    // Plane x = 1.5 facing the camera, tilted so the tessellation is oblique in the image.
    mesh.position.set(1.5, 0, 0);
    mesh.rotation.set(0.3, Math.PI / 2 + 0.4, 0.2);
    const group = new Group();
    group.add(mesh);
    const frame = new Rasterizer().render(group, cam);
    expect(frame.mask!.every((m) => m === 5)).toBe(true);
    expect(frame.depthMetres.every((d) => d > 0)).toBe(true);
  });
});

describe('rasterizer shading, noise, validation', () => {
  it('draws a coloured box in its Lambert-shaded colour', () => {
    const light = new Vector3(0.4, 0.3, 1).normalize();
    // Axis-aligned box, camera straight above: the top face (normal +z) fills the centre.
    const pose: Pose = { positionMetres: [0.3, 0, 0.8], quaternion: [0, 0, 0, 1] };
    const group = buildSceneGraph(boxScene(pose, [1, 0.5, 0]));
    const frame = new Rasterizer().render(group, camera([0.3, 0, 1.5], [0.3, 0, 0.8], [1, 0, 0]));
    const s = 0.4 + 0.6 * light.z;
    const centre = (Math.round(K.cy) * W + Math.round(K.cx)) * 3;
    expect(frame.rgb[centre]).toBeCloseTo(255 * s, -0.5);
    expect(Math.abs(frame.rgb[centre + 1] - 127.5 * s)).toBeLessThanOrEqual(1);
    expect(frame.rgb[centre + 2]).toBe(0);
    // A side face (normal -x): only ambient + its share of the light.
    const side = new Rasterizer().render(group, camera([-0.5, 0, 0.8], [0.3, 0, 0.8]));
    const sSide = 0.4 + 0.6 * Math.max(0, -light.x);
    expect(Math.abs(side.rgb[centre] - 255 * sSide)).toBeLessThanOrEqual(1);
  });

  it('adds seeded Gaussian depth noise only when asked', () => {
    const group = buildSceneGraph(boxScene());
    const cam = camera([0.3, 0.1, 1.6], [0.3, 0.1, 0.8], [1, 0, 0]);
    const clean = new Rasterizer().render(group, cam);
    const noisy = () => new Rasterizer({ depthNoise: { rng: new Rng(42), stdMetres: 0.002 } }).render(group, cam);
    const a = noisy();
    const b = noisy();
    expect(Array.from(a.depthMetres)).toEqual(Array.from(b.depthMetres));
    let sum = 0;
    let sumSq = 0;
    let n = 0;
    for (let i = 0; i < clean.depthMetres.length; i++) {
      if (clean.depthMetres[i] === 0) {
        expect(a.depthMetres[i]).toBe(0);
        continue;
      }
      const e = a.depthMetres[i] - clean.depthMetres[i];
      sum += e;
      sumSq += e * e;
      n++;
    }
    expect(n).toBeGreaterThan(200);
    expect(Math.abs(sum / n)).toBeLessThan(0.0005);
    expect(Math.sqrt(sumSq / n)).toBeGreaterThan(0.0015);
    expect(Math.sqrt(sumSq / n)).toBeLessThan(0.0025);
  });

  it('reuses the target frame buffers', () => {
    const group = buildSceneGraph(boxScene());
    const r = new Rasterizer();
    const cam = camera([0.9, -0.45, 1.3], [0.3, 0.1, 0.8]);
    const first = r.render(group, cam);
    const depth = first.depthMetres;
    const copy = Float32Array.from(depth);
    const second = r.render(group, cam, first);
    expect(second).toBe(first);
    expect(second.depthMetres).toBe(depth);
    expect(Array.from(second.depthMetres)).toEqual(Array.from(copy));
  });

  it('rejects bad cameras with the field named', () => {
    const group = buildSceneGraph(boxScene());
    const bad = { ...camera([1, 0, 1], [0, 0, 0]), width: 0 };
    expect(() => new Rasterizer().render(group, bad)).toThrow(/camera\.width/);
    const badK = { ...camera([1, 0, 1], [0, 0, 0]), intrinsics: { ...K, fx: -1 } };
    expect(() => new Rasterizer().render(group, badK)).toThrow(PeractError);
    expect(() => new Rasterizer({ nearMetres: 0 })).toThrow(/nearMetres/);
  });
});

describe('scene graph', () => {
  const spec: SceneSpec = {
    bodies: [
      { name: 'lid', objectId: 3, motion: 'fixed', parent: 'jar', pose: { positionMetres: [0, 0, 0.1], quaternion: [0, 0, 0, 1] }, geoms: [{ shape: { kind: 'sphere', radiusMetres: 0.02 }, colour: [0, 0, 1] }] },
      {
        name: 'jar', objectId: 2, motion: 'free',
        pose: { positionMetres: [0.2, 0, 0.8], quaternion: [0, 0, 0, 1] },
        geoms: [{ shape: { kind: 'cylinder', radiusMetres: 0.04, halfHeightMetres: 0.05 }, colour: [0, 1, 0] }],
      },
    ],
  };

  it('builds one node per body, a mesh per geom, world poses for parented bodies', () => {
    const group = buildSceneGraph(spec);
    expect(group.children.map((c) => c.name)).toEqual(['lid', 'jar']);
    const lid = group.getObjectByName('lid')!;
    expect(lid.userData.objectId).toBe(3);
    expect(lid.position.toArray()).toEqual([0.2, 0, 0.9]);
    const jarMesh = group.getObjectByName('jar')!.children[0] as Mesh;
    expect(jarMesh.userData.objectId).toBe(2);
    // Cylinder axis along local z: its bounding box is 0.1 tall in z.
    jarMesh.geometry.computeBoundingBox();
    const bb = jarMesh.geometry.boundingBox!;
    expect(bb.max.z - bb.min.z).toBeCloseTo(0.1, 6);
    expect(bb.max.y - bb.min.y).toBeCloseTo(0.08, 2);
  });

  it('renders the cylinder top and moves bodies with applyPoses', () => {
    const group = buildSceneGraph(spec);
    const r = new Rasterizer();
    const cam = camera([0.2, 0, 1.5], [0.2, 0, 0.8], [1, 0, 0]);
    const centre = Math.round(K.cy) * W + Math.round(K.cx);
    let frame = r.render(group, cam);
    // Looking straight down: the lid sphere (top at 0.92) hides the jar's centre.
    expect(frame.mask![centre]).toBe(3);
    // Tessellated sphere (16 x 12 segments) sampled half a pixel off its pole: within 2 mm.
    expect(Math.abs(frame.depthMetres[centre] - (1.5 - 0.92))).toBeLessThan(2e-3);
    applyPoses(group, new Map<string, Pose>([['lid', { positionMetres: [0.5, 0.5, 0.5], quaternion: [0, 0, 0, 1] }]]));
    frame = r.render(group, cam);
    expect(frame.mask![centre]).toBe(2);
    expect(frame.depthMetres[centre]).toBeCloseTo(1.5 - 0.85, 5);
    expect(() => applyPoses(group, new Map([['nope', BOX_POSE]]))).toThrow(/poses\.nope/);
  });

  it('rejects bad specs with the field named', () => {
    expect(() => buildSceneGraph({ bodies: [{ ...spec.bodies[1], objectId: 0 }] })).toThrow(/objectId/);
    expect(() => buildSceneGraph({ bodies: [{ ...spec.bodies[0] }] })).toThrow(/parent/);
    const badShape = { ...spec.bodies[1], geoms: [{ shape: { kind: 'box' as const, halfExtentsMetres: [0.1, -1, 0.1] as Vec3 }, colour: [1, 1, 1] as Vec3 }] };
    expect(() => buildSceneGraph({ bodies: [badShape] })).toThrow(/halfExtentsMetres\[1\]/);
  });
});

describe('camera rig', () => {
  it('lookAt gives a ROS optical frame: +z to the target, +y down in the image', () => {
    const m = rowMajor(lookAt([1, 0, 1], [0, 0, 0]));
    const z = new Vector3(0, 0, 1).transformDirection(m);
    const y = new Vector3(0, 1, 0).transformDirection(m);
    const x = new Vector3(1, 0, 0).transformDirection(m);
    expect(z.distanceTo(new Vector3(-1, 0, -1).normalize())).toBeLessThan(1e-12);
    expect(y.z).toBeLessThan(0); // image down is world down-ish
    expect(x.y).toBeCloseTo(1, 12); // looking along -x, image right is world +y
    expect(x.clone().cross(y).distanceTo(z)).toBeLessThan(1e-12); // right-handed
    expect(() => lookAt([0, 0, 1], [0, 0, 0])).toThrow(/up/);
  });

  it('renders front, left_shoulder, right_shoulder, wrist over the workspace', () => {
    const rig = createDefaultCameraRig({ width: 64, height: 64 });
    const table: SceneSpec = {
      bodies: [
        { name: 'table', objectId: 1, motion: 'fixed', pose: { positionMetres: [0.6, 0, -0.05], quaternion: [0, 0, 0, 1] }, geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.45, 0.6, 0.05] }, colour: [0.6, 0.5, 0.4] }] },
        { name: 'cube', objectId: 4, motion: 'free', pose: { positionMetres: [0.4, 0, 0.025], quaternion: [0, 0, 0, 1] }, geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.025, 0.025, 0.025] }, colour: [1, 0, 0] }] },
      ],
    };
    const group = buildSceneGraph(table);
    // Gripper 10 cm above the cube, pointing down (approach +z = world -z): 180 degrees about x.
    const gripper: Pose = { positionMetres: [0.4, 0, 0.15], quaternion: [1, 0, 0, 0] };
    const frames = renderCameras(group, rig, gripper);
    expect(frames.map((f) => f.name)).toEqual([...CAMERA_NAMES]);
    for (const f of frames) {
      expect(f.width).toBe(64);
      // Every camera sees the table and the cube.
      expect(f.mask!.some((m) => m === 1)).toBe(true);
      expect(f.mask!.some((m) => m === 4)).toBe(true);
    }
    const wrist = frames[3];
    const c = Math.round(wrist.intrinsics.cy) * 64 + Math.round(wrist.intrinsics.cx);
    // The wrist camera sits 3 cm behind the tool point: 0.18 - 0.05 to the cube top.
    expect(wrist.mask![c]).toBe(4);
    expect(wrist.depthMetres[c]).toBeCloseTo(0.18 - 0.05, 5);
    // Workspace corners on the table (top at z = 0) project inside every fixed camera.
    for (const f of frames.slice(0, 3)) {
      const camFromWorld = rowMajor(f.worldFromCamera).invert();
      for (const [x, y] of [[0.25, -0.3], [0.25, 0.3], [0.7, -0.3], [0.7, 0.3]]) {
        const p = new Vector3(x, y, 0).applyMatrix4(camFromWorld);
        const u = (f.intrinsics.fx * p.x) / p.z + f.intrinsics.cx;
        const v = (f.intrinsics.fy * p.y) / p.z + f.intrinsics.cy;
        expect(u).toBeGreaterThan(0);
        expect(u).toBeLessThan(63);
        expect(v).toBeGreaterThan(0);
        expect(v).toBeLessThan(63);
      }
    }
    // Reusing the frames gives the same images.
    const again = renderCameras(group, rig, gripper, frames);
    expect(again[0]).toBe(frames[0]);
    expect(() => renderCameras(group, rig)).toThrow(/gripperPose/);
  });
});
