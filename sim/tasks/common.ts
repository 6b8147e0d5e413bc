import type { Action, Pose, Quat, Vec3 } from '../../core/index.js';
import { RLBENCH_COLOURS } from '../colours.js';
import type { UnitRgb } from '../scene.js';
import type { ExpertStep, TaskWorldView } from './task.js';
import { topDownQuat } from './builders.js';

/** Heights (tool point z) the experts use. */
export const APPROACH_Z = 0.14;
export const CARRY_Z = 0.2;
/** Tool point height for a top-down grasp of a block resting on the table. */
export const GRASP_Z_OFFSET = -0.0025;

export function colourName(index: number): string {
  return RLBENCH_COLOURS[index][0];
}

export function colourRgb(index: number): UnitRgb {
  return [...RLBENCH_COLOURS[index][1]];
}

export function step(label: string, positionMetres: Vec3, quaternion: Quat, gripperOpen: boolean, ignoreCollisions: boolean): ExpertStep {
  const action: Action = { positionMetres, quaternion, gripperOpen, ignoreCollisions };
  return { action, label };
}

/** Yaw about world z of a body (for aligning the fingers with a block's faces). */
export function yawOf(p: Pose): number {
  const [x, y, z, w] = p.quaternion;
  return Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
}

/** Approach, grasp, lift: the first half of every pick-and-place expert. */
export function pickSteps(world: TaskWorldView, body: string, liftZ = CARRY_Z): ExpertStep[] {
  const p = world.bodyPose(body);
  const [x, y, z] = p.positionMetres;
  const q = topDownQuat(yawOf(p));
  return [
    step(`approach ${body}`, [x, y, APPROACH_Z], q, true, false),
    step(`grasp ${body}`, [x, y, z + GRASP_Z_OFFSET], q, false, true),
    step(`lift ${body}`, [x, y, liftZ], q, false, true),
  ];
}

/** Move above, lower, release, retreat: the second half of a pick-and-place expert. */
export function placeSteps(target: Vec3, yawRad: number, label: string, carryZ = CARRY_Z): ExpertStep[] {
  const q = topDownQuat(yawRad);
  const [x, y, z] = target;
  return [
    step(`carry to ${label}`, [x, y, carryZ], q, false, false),
    step(`place on ${label}`, [x, y, z], q, true, true),
    step(`retreat from ${label}`, [x, y, carryZ], q, true, true),
  ];
}
