import {
  assertFiniteArray,
  assertFiniteNumber,
  assertPositiveInteger,
  canonicalQuaternion,
  summariseValue,
  invalidArgument,
} from '../../core/index.js';
import type { BodySpec, GeomSpec, JointSpec, SceneSpec } from '../scene.js';

/** The scene's body tree, as the MJCF writer and the world need it. */
export interface SceneTree {
  /** Index of each body's parent in `scene.bodies`, -1 for the world. */
  parentIndex: number[];
  /** Children of each body in scene order; `roots` are the world's. */
  children: number[][];
  roots: number[];
  /** Whether the body can move at all (it or an ancestor is free or jointed). */
  movable: boolean[];
}

const RESERVED_PREFIX = 'gripper/';

/**
 * Checks everything the physics model relies on and throws `invalidArgument` naming the field
 * (`scene.bodies[2].joint.range`, ...) at the first problem.
 */
export function validateScene(scene: SceneSpec): SceneTree {
  if (!scene || typeof scene !== 'object') throw invalidArgument('scene', `must be an object, got ${summariseValue(scene)}`);
  if (!Array.isArray(scene.bodies)) throw invalidArgument('scene.bodies', `must be an array, got ${summariseValue(scene.bodies)}`);

  const indexByName = new Map<string, number>();
  scene.bodies.forEach((body, i) => {
    const field = `scene.bodies[${i}]`;
    if (!body || typeof body !== 'object') throw invalidArgument(field, `must be an object, got ${summariseValue(body)}`);
    if (typeof body.name !== 'string' || body.name.length === 0) {
      throw invalidArgument(`${field}.name`, `must be a non-empty string, got ${summariseValue(body.name)}`);
    }
    if (body.name.startsWith(RESERVED_PREFIX)) {
      throw invalidArgument(`${field}.name`, `"${body.name}": names starting with "${RESERVED_PREFIX}" are reserved for the gripper`);
    }
    const previous = indexByName.get(body.name);
    if (previous !== undefined) {
      throw invalidArgument(`${field}.name`, `duplicate body name "${body.name}" (also scene.bodies[${previous}])`);
    }
    indexByName.set(body.name, i);
    validateBody(body, field);
  });

  const parentIndex = scene.bodies.map((body, i) => {
    if (body.parent === undefined) return -1;
    const field = `scene.bodies[${i}].parent`;
    if (typeof body.parent !== 'string') throw invalidArgument(field, `must be a body name, got ${summariseValue(body.parent)}`);
    const p = indexByName.get(body.parent);
    if (p === undefined) throw invalidArgument(field, `unknown parent body "${body.parent}"`);
    if (p === i) throw invalidArgument(field, `body "${body.name}" cannot be its own parent`);
    if (body.motion === 'free') {
      throw invalidArgument(field, `a free body cannot have a parent (body "${body.name}"); give it a world pose instead`);
    }
    return p;
  });

  // Walk up from each body; more hops than bodies means a cycle.
  scene.bodies.forEach((body, i) => {
    let p = parentIndex[i];
    for (let hops = 0; p !== -1; hops++) {
      if (hops > scene.bodies.length) {
        throw invalidArgument(`scene.bodies[${i}].parent`, `parent chain of "${body.name}" forms a cycle`);
      }
      p = parentIndex[p];
    }
  });

  const children: number[][] = scene.bodies.map(() => []);
  const roots: number[] = [];
  parentIndex.forEach((p, i) => (p === -1 ? roots : children[p]).push(i));

  const movable = scene.bodies.map((_, i) => {
    for (let b = i; b !== -1; b = parentIndex[b]) if (scene.bodies[b].motion !== 'fixed') return true;
    return false;
  });
  scene.bodies.forEach((body, i) => {
    if (body.graspable && !movable[i]) {
      throw invalidArgument(
        `scene.bodies[${i}].graspable`,
        `body "${body.name}" is fixed to the world (it and every ancestor are 'fixed'), so it cannot be grasped`,
      );
    }
  });

  return { parentIndex, children, roots, movable };
}

function validateBody(body: BodySpec, field: string): void {
  assertPositiveInteger(body.objectId, `${field}.objectId`, 1);
  if (body.motion !== 'free' && body.motion !== 'fixed' && body.motion !== 'jointed') {
    throw invalidArgument(`${field}.motion`, `must be 'free', 'fixed' or 'jointed', got ${summariseValue(body.motion)}`);
  }
  validatePose(body.pose, `${field}.pose`);
  if (!Array.isArray(body.geoms) || body.geoms.length === 0) {
    throw invalidArgument(`${field}.geoms`, `must be a non-empty array, got ${summariseValue(body.geoms)}`);
  }
  body.geoms.forEach((geom, g) => validateGeom(geom, `${field}.geoms[${g}]`));
  if (body.motion === 'jointed') {
    if (!body.joint) throw invalidArgument(`${field}.joint`, `a 'jointed' body needs a joint`);
    validateJoint(body.joint, `${field}.joint`);
  } else if (body.joint !== undefined) {
    throw invalidArgument(`${field}.joint`, `only 'jointed' bodies take a joint (motion is '${body.motion}')`);
  }
  if (body.massKg !== undefined) {
    assertFiniteNumber(body.massKg, `${field}.massKg`);
    if (body.massKg <= 0) throw invalidArgument(`${field}.massKg`, `must be > 0, got ${body.massKg}`);
  }
  if (body.graspable !== undefined && typeof body.graspable !== 'boolean') {
    throw invalidArgument(`${field}.graspable`, `must be a boolean, got ${summariseValue(body.graspable)}`);
  }
}

function validatePose(pose: BodySpec['pose'] | undefined, field: string): void {
  if (!pose || typeof pose !== 'object') throw invalidArgument(field, `must be a pose, got ${summariseValue(pose)}`);
  assertFiniteArray(pose.positionMetres, 3, `${field}.positionMetres`);
  canonicalQuaternion(pose.quaternion, `${field}.quaternion`);
}

function validateGeom(geom: GeomSpec, field: string): void {
  if (!geom || typeof geom !== 'object') throw invalidArgument(field, `must be an object, got ${summariseValue(geom)}`);
  const shape = geom.shape;
  if (!shape || typeof shape !== 'object') throw invalidArgument(`${field}.shape`, `must be an object, got ${summariseValue(shape)}`);
  const positive = (value: number, name: string): void => {
    assertFiniteNumber(value, `${field}.shape.${name}`);
    if (value <= 0) throw invalidArgument(`${field}.shape.${name}`, `must be > 0, got ${value}`);
  };
  switch (shape.kind) {
    case 'box':
      assertFiniteArray(shape.halfExtentsMetres, 3, `${field}.shape.halfExtentsMetres`);
      shape.halfExtentsMetres.forEach((v, k) => positive(v, `halfExtentsMetres[${k}]`));
      break;
    case 'sphere':
      positive(shape.radiusMetres, 'radiusMetres');
      break;
    case 'cylinder':
      positive(shape.radiusMetres, 'radiusMetres');
      positive(shape.halfHeightMetres, 'halfHeightMetres');
      break;
    default:
      throw invalidArgument(`${field}.shape.kind`, `must be 'box', 'sphere' or 'cylinder', got ${summariseValue((shape as { kind?: unknown }).kind)}`);
  }
  if (geom.localPose !== undefined) validatePose(geom.localPose, `${field}.localPose`);
  assertFiniteArray(geom.colour, 3, `${field}.colour`);
  geom.colour.forEach((c, k) => {
    if (c < 0 || c > 1) throw invalidArgument(`${field}.colour[${k}]`, `must be in [0, 1], got ${c}`);
  });
  if (geom.collides !== undefined && typeof geom.collides !== 'boolean') {
    throw invalidArgument(`${field}.collides`, `must be a boolean, got ${summariseValue(geom.collides)}`);
  }
  if (geom.friction !== undefined) {
    assertFiniteNumber(geom.friction, `${field}.friction`);
    if (geom.friction < 0) throw invalidArgument(`${field}.friction`, `must be >= 0, got ${geom.friction}`);
  }
}

function validateJoint(joint: JointSpec, field: string): void {
  if (joint.type !== 'prismatic' && joint.type !== 'revolute') {
    throw invalidArgument(`${field}.type`, `must be 'prismatic' or 'revolute', got ${summariseValue(joint.type)}`);
  }
  assertFiniteArray(joint.axis, 3, `${field}.axis`);
  if (Math.hypot(...joint.axis) < 1e-9) throw invalidArgument(`${field}.axis`, 'must not be the zero vector');
  assertFiniteArray(joint.range, 2, `${field}.range`);
  const [lo, hi] = joint.range;
  if (!(lo < hi)) throw invalidArgument(`${field}.range`, `must be [min, max] with min < max, got [${lo}, ${hi}]`);
  // The body's pose is the joint's zero, so zero must be a reachable position.
  if (lo > 0 || hi < 0) throw invalidArgument(`${field}.range`, `must contain 0 (the body's pose), got [${lo}, ${hi}]`);
  for (const key of ['stiffness', 'damping'] as const) {
    const v = joint[key];
    if (v === undefined) continue;
    assertFiniteNumber(v, `${field}.${key}`);
    if (v < 0) throw invalidArgument(`${field}.${key}`, `must be >= 0, got ${v}`);
  }
}
