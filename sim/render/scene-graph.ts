import {
  BoxGeometry,
  BufferGeometry,
  CylinderGeometry,
  Group,
  Matrix4,
  Mesh,
  MeshLambertMaterial,
  Object3D,
  SphereGeometry,
  SRGBColorSpace,
} from 'three';
import { assertFiniteArray, assertPositiveInteger, canonicalQuaternion, invalidArgument, matrix4FromPose } from '../../core/index.js';
import type { Pose } from '../../core/index.js';
import type { BodySpec, GeomSpec, SceneSpec, Shape } from '../scene.js';

/**
 * The three.js scene graph of a `SceneSpec`: one Object3D per body, one Mesh per geom. The same
 * graph feeds the simulator's rasterizer (rasterizer.ts) and the browser viewer's WebGLRenderer.
 *
 * Every body is a direct child of the returned group and carries its *world* pose, parented or
 * not: the physics engine reports world poses, so a flat graph means `applyPoses` never has to
 * compose transforms. The group itself is the world frame; keep its own transform at identity.
 */

export interface SceneGraphOptions {
  /** Segments around a sphere (its rings are 3/4 of this). Default 16. */
  sphereSegments?: number;
  /** Segments around a cylinder. Default 16. */
  cylinderSegments?: number;
}

/** Name of the root group returned by `buildSceneGraph`. */
export const SCENE_ROOT_NAME = 'scene';

// Body lookup for applyPoses, kept outside userData so the viewer can serialize userData freely.
const bodyIndex = new WeakMap<Object3D, Map<string, Object3D>>();

export function buildSceneGraph(spec: SceneSpec, options: SceneGraphOptions = {}): Group {
  if (!spec || !Array.isArray(spec.bodies)) throw invalidArgument('spec.bodies', 'must be an array of bodies');
  const sphereSegments = options.sphereSegments ?? 16;
  const cylinderSegments = options.cylinderSegments ?? 16;
  assertPositiveInteger(sphereSegments, 'options.sphereSegments', 4);
  assertPositiveInteger(cylinderSegments, 'options.cylinderSegments', 3);

  const byName = new Map<string, BodySpec>();
  spec.bodies.forEach((body, i) => {
    if (!body || typeof body.name !== 'string' || body.name === '') {
      throw invalidArgument(`spec.bodies[${i}].name`, 'must be a non-empty string');
    }
    if (byName.has(body.name)) throw invalidArgument(`spec.bodies[${i}].name`, `duplicate body name "${body.name}"`);
    if (!Number.isInteger(body.objectId) || body.objectId < 1 || body.objectId > 65535) {
      throw invalidArgument(`spec.bodies[${i}].objectId`, `must be an integer in [1, 65535], got ${String(body.objectId)}`);
    }
    byName.set(body.name, body);
  });

  const worldPoses = resolveWorldMatrices(spec.bodies, byName);
  const root = new Group();
  root.name = SCENE_ROOT_NAME;
  const index = new Map<string, Object3D>();

  spec.bodies.forEach((body, i) => {
    const node = new Object3D();
    node.name = body.name;
    node.userData.objectId = body.objectId;
    worldPoses.get(body.name)!.decompose(node.position, node.quaternion, node.scale);
    body.geoms.forEach((geom, j) => node.add(meshForGeom(geom, body.objectId, `spec.bodies[${i}].geoms[${j}]`, sphereSegments, cylinderSegments)));
    root.add(node);
    index.set(body.name, node);
  });
  bodyIndex.set(root, index);
  root.updateMatrixWorld(true);
  return root;
}

/**
 * Sets each named body's world pose (the physics engine's output, one entry per moving body;
 * bodies not in the map keep their pose). Throws for a name the graph does not hold.
 */
export function applyPoses(group: Object3D, poses: ReadonlyMap<string, Pose>): void {
  const index = bodyIndex.get(group);
  for (const [name, pose] of poses) {
    const node = index ? index.get(name) : group.getObjectByName(name);
    if (!node) throw invalidArgument(`poses.${name}`, 'no body of that name in the scene graph');
    setNodePose(node, pose, `poses.${name}`);
  }
  group.updateMatrixWorld(true);
}

function setNodePose(node: Object3D, pose: Pose, field: string): void {
  if (!pose) throw invalidArgument(field, 'must be a pose');
  assertFiniteArray(pose.positionMetres, 3, `${field}.positionMetres`);
  const q = canonicalQuaternion(pose.quaternion, `${field}.quaternion`);
  node.position.set(pose.positionMetres[0], pose.positionMetres[1], pose.positionMetres[2]);
  node.quaternion.set(q[0], q[1], q[2], q[3]);
}

function poseMatrix(pose: Pose | undefined, field: string): Matrix4 {
  if (pose === undefined) return new Matrix4();
  assertFiniteArray(pose.positionMetres, 3, `${field}.positionMetres`);
  const q = canonicalQuaternion(pose.quaternion, `${field}.quaternion`);
  return matrix4FromPose({ positionMetres: pose.positionMetres, quaternion: q });
}

/** World matrix of every body, composing parent chains (parents may be listed after children). */
function resolveWorldMatrices(bodies: BodySpec[], byName: Map<string, BodySpec>): Map<string, Matrix4> {
  const world = new Map<string, Matrix4>();
  const visiting = new Set<string>();
  const resolve = (body: BodySpec, field: string): Matrix4 => {
    const done = world.get(body.name);
    if (done) return done;
    if (visiting.has(body.name)) throw invalidArgument(`${field}.parent`, `parent chain of "${body.name}" forms a cycle`);
    visiting.add(body.name);
    const local = poseMatrix(body.pose, `${field}.pose`);
    let m = local;
    if (body.parent !== undefined) {
      const parent = byName.get(body.parent);
      if (!parent) throw invalidArgument(`${field}.parent`, `no body named "${body.parent}"`);
      m = resolve(parent, `spec.bodies[${bodies.indexOf(parent)}]`).clone().multiply(local);
    }
    visiting.delete(body.name);
    world.set(body.name, m);
    return m;
  };
  bodies.forEach((b, i) => resolve(b, `spec.bodies[${i}]`));
  return world;
}

function meshForGeom(geom: GeomSpec, objectId: number, field: string, sphereSegments: number, cylinderSegments: number): Mesh {
  if (!geom || !geom.shape) throw invalidArgument(`${field}.shape`, 'must be a shape');
  assertFiniteArray(geom.colour, 3, `${field}.colour`);
  const material = new MeshLambertMaterial();
  // Spec colours are display values (RLBench's list); tell three.js so, so the WebGL viewer
  // shows them as given and the rasterizer reads them back in the same space.
  material.color.setRGB(geom.colour[0], geom.colour[1], geom.colour[2], SRGBColorSpace);
  const mesh = new Mesh(geometryForShape(geom.shape, `${field}.shape`, sphereSegments, cylinderSegments), material);
  mesh.userData.objectId = objectId;
  if (geom.localPose) poseMatrix(geom.localPose, `${field}.localPose`).decompose(mesh.position, mesh.quaternion, mesh.scale);
  return mesh;
}

function positive(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(field, `must be a positive number of metres, got ${String(value)}`);
  }
  return value;
}

function geometryForShape(shape: Shape, field: string, sphereSegments: number, cylinderSegments: number): BufferGeometry {
  switch (shape.kind) {
    case 'box': {
      assertFiniteArray(shape.halfExtentsMetres, 3, `${field}.halfExtentsMetres`);
      const [hx, hy, hz] = shape.halfExtentsMetres.map((h, k) => positive(h, `${field}.halfExtentsMetres[${k}]`));
      return new BoxGeometry(2 * hx, 2 * hy, 2 * hz);
    }
    case 'sphere':
      return new SphereGeometry(positive(shape.radiusMetres, `${field}.radiusMetres`), sphereSegments, Math.max(3, Math.round((sphereSegments * 3) / 4)));
    case 'cylinder': {
      const r = positive(shape.radiusMetres, `${field}.radiusMetres`);
      const h = positive(shape.halfHeightMetres, `${field}.halfHeightMetres`);
      // three.js cylinders run along y; the spec's run along local z.
      return new CylinderGeometry(r, r, 2 * h, cylinderSegments, 1).rotateX(Math.PI / 2);
    }
    default:
      throw invalidArgument(`${field}.kind`, `unknown shape kind ${JSON.stringify((shape as { kind?: unknown }).kind)}`);
  }
}
