import type { Pose, Vec3 } from '../core/index.js';

/**
 * A scene described by data. The physics engine model and the three.js scene graph are both
 * generated from this, so the two never disagree about what is where.
 */

/** Colour as RGB in 0-1 (the RLBench colour list in docs/design.md uses this scale). */
export type UnitRgb = [number, number, number];

export type Shape =
  | { kind: 'box'; halfExtentsMetres: Vec3 }
  | { kind: 'sphere'; radiusMetres: number }
  /** Cylinder along the local z axis. */
  | { kind: 'cylinder'; radiusMetres: number; halfHeightMetres: number };

/** One primitive of a body; bodies such as bowls and jars are built from several. */
export interface GeomSpec {
  shape: Shape;
  /** Pose relative to the body frame; identity when omitted. */
  localPose?: Pose;
  colour: UnitRgb;
  /** False for visual-only geometry such as flat target areas. Default true. */
  collides?: boolean;
  /** Sliding friction coefficient; engine default when omitted. */
  friction?: number;
}

/** A joint that attaches a body to its parent (or to the world when `parent` is omitted). */
export interface JointSpec {
  type: 'prismatic' | 'revolute';
  /** Axis in the body frame (unit vector). */
  axis: Vec3;
  /** Range in metres (prismatic) or radians (revolute). */
  range: [number, number];
  /** Spring stiffness pulling back to 0 (N/m or N m/rad): buttons. 0 when omitted. */
  stiffness?: number;
  damping?: number;
}

export interface BodySpec {
  /** Unique within a scene; tasks and success checks refer to bodies by name. */
  name: string;
  /** Object id in camera masks, >= 1 (0 is background). */
  objectId: number;
  geoms: GeomSpec[];
  /** World pose (or pose relative to the parent body when `parent` is set). */
  pose: Pose;
  /**
   * 'free': a dynamic body with six degrees of freedom. 'fixed': welded to its parent or the
   * world. 'jointed': attached to its parent (or the world) by `joint`.
   */
  motion: 'free' | 'fixed' | 'jointed';
  joint?: JointSpec;
  parent?: string;
  massKg?: number;
  /** The gripper may pick this body up. */
  graspable?: boolean;
}

export interface SceneSpec {
  bodies: BodySpec[];
}
