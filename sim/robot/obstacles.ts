import { Matrix4, Quaternion, Vector3 } from 'three';
import { assertFiniteArray, assertFiniteNumber, invalidArgument, type Pose, type Vec3 } from '../../core/index.js';
import type { BodySpec, SceneSpec } from '../scene.js';
import { rowMajorFromPose } from './panda-kinematics.js';

/**
 * Obstacles for the collision checker and the planner: boxes, spheres and cylinders in the
 * world, each with the body it belongs to, built by hand or from a scene's colliding geoms.
 */

interface ObstacleFrame {
  /** Name of the body the geometry belongs to (for reports and exclusion). */
  bodyName: string;
  centreMetres: Vec3;
  /** World-from-local rotation, 3x3 row-major (its columns are the local axes in the world). */
  rotation: number[];
}

export type Obstacle = ObstacleFrame &
  (
    | { kind: 'box'; halfExtentsMetres: Vec3 }
    | { kind: 'sphere'; radiusMetres: number }
    /** Cylinder along its local z. */
    | { kind: 'cylinder'; radiusMetres: number; halfHeightMetres: number }
  );

function rotationOf(pose: Pose, field: string): { centre: Vec3; rotation: number[] } {
  const m = rowMajorFromPose(pose, field);
  return { centre: [m[3], m[7], m[11]], rotation: [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]] };
}

export function assertPositiveVec(v: ArrayLike<number>, length: number, field: string): void {
  assertFiniteArray(v, length, field);
  for (let i = 0; i < length; i++) if (v[i] <= 0) throw invalidArgument(`${field}[${i}]`, `must be > 0, got ${v[i]}`);
}

function assertPositive(v: number, field: string): void {
  assertFiniteNumber(v, field);
  if (v <= 0) throw invalidArgument(field, `must be > 0, got ${v}`);
}

export function boxObstacle(bodyName: string, pose: Pose, halfExtentsMetres: Vec3): Obstacle {
  assertPositiveVec(halfExtentsMetres, 3, 'halfExtentsMetres');
  const { centre, rotation } = rotationOf(pose, 'pose');
  return { kind: 'box', bodyName, centreMetres: centre, rotation, halfExtentsMetres: [...halfExtentsMetres] };
}

export function sphereObstacle(bodyName: string, centreMetres: Vec3, radiusMetres: number): Obstacle {
  assertFiniteArray(centreMetres, 3, 'centreMetres');
  assertPositive(radiusMetres, 'radiusMetres');
  return { kind: 'sphere', bodyName, centreMetres: [...centreMetres], rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], radiusMetres };
}

export function cylinderObstacle(bodyName: string, pose: Pose, radiusMetres: number, halfHeightMetres: number): Obstacle {
  assertPositive(radiusMetres, 'radiusMetres');
  assertPositive(halfHeightMetres, 'halfHeightMetres');
  const { centre, rotation } = rotationOf(pose, 'pose');
  return { kind: 'cylinder', bodyName, centreMetres: centre, rotation, radiusMetres, halfHeightMetres };
}

/** Radius of a sphere about the obstacle's centre that contains it (broad phase). */
export function obstacleBoundingRadius(o: Obstacle): number {
  switch (o.kind) {
    case 'box':
      return Math.hypot(...o.halfExtentsMetres);
    case 'sphere':
      return o.radiusMetres;
    case 'cylinder':
      return Math.hypot(o.radiusMetres, o.halfHeightMetres);
  }
}

/** Highest world z any point of the obstacle reaches. */
export function obstacleTopZ(o: Obstacle): number {
  const r = o.rotation;
  switch (o.kind) {
    case 'box': {
      const h = o.halfExtentsMetres;
      return o.centreMetres[2] + Math.abs(r[6]) * h[0] + Math.abs(r[7]) * h[1] + Math.abs(r[8]) * h[2];
    }
    case 'sphere':
      return o.centreMetres[2] + o.radiusMetres;
    case 'cylinder': {
      const az = Math.abs(r[8]);
      return o.centreMetres[2] + az * o.halfHeightMetres + Math.sqrt(Math.max(0, 1 - az * az)) * o.radiusMetres;
    }
  }
}

/**
 * World pose of every body: `bodyPoses` first (the physics state), else the spec pose composed
 * with the parent's world pose.
 */
function bodyWorldMatrix(body: BodySpec, byName: Map<string, BodySpec>, bodyPoses: Map<string, Pose>, depth: number): Matrix4 {
  const live = bodyPoses.get(body.name);
  const own = live ?? body.pose;
  const m = new Matrix4().fromArray(Array.from(rowMajorFromPose(own, `bodies[${body.name}].pose`))).transpose();
  if (live || !body.parent) return m;
  const parent = byName.get(body.parent);
  if (!parent) throw invalidArgument(`bodies[${body.name}].parent`, `names unknown body "${body.parent}"`);
  if (depth > 64) throw invalidArgument(`bodies[${body.name}].parent`, 'parent chain is cyclic');
  return bodyWorldMatrix(parent, byName, bodyPoses, depth + 1).multiply(m);
}

/**
 * Obstacles from a scene's colliding geoms (those with `collides !== false`) at the given body
 * world poses. Bodies named in `exclude` (the object being grasped, the held object) are left out.
 */
export function obstaclesFromScene(scene: SceneSpec, bodyPoses: Map<string, Pose>, exclude: Set<string> = new Set()): Obstacle[] {
  if (!scene || !Array.isArray(scene.bodies)) throw invalidArgument('scene.bodies', 'must be an array of bodies');
  const byName = new Map(scene.bodies.map((b) => [b.name, b]));
  const out: Obstacle[] = [];
  const p = new Vector3();
  const q = new Quaternion();
  const s = new Vector3();
  for (const body of scene.bodies) {
    if (exclude.has(body.name)) continue;
    const world = bodyWorldMatrix(body, byName, bodyPoses, 0);
    body.geoms.forEach((geom, gi) => {
      if (geom.collides === false) return;
      const local = geom.localPose
        ? new Matrix4().fromArray(Array.from(rowMajorFromPose(geom.localPose, `bodies[${body.name}].geoms[${gi}].localPose`))).transpose()
        : new Matrix4();
      new Matrix4().multiplyMatrices(world, local).decompose(p, q, s);
      const pose: Pose = { positionMetres: [p.x, p.y, p.z], quaternion: [q.x, q.y, q.z, q.w] };
      const shape = geom.shape;
      if (shape.kind === 'box') out.push(boxObstacle(body.name, pose, shape.halfExtentsMetres));
      else if (shape.kind === 'sphere') out.push(sphereObstacle(body.name, pose.positionMetres, shape.radiusMetres));
      else out.push(cylinderObstacle(body.name, pose, shape.radiusMetres, shape.halfHeightMetres));
    });
  }
  return out;
}
