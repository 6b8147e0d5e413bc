import { FINGER_MAX_OPENING_METRES } from './types.js';

/**
 * The gripper's geometry and drive, in the hand (tool point) frame described in types.ts.
 * Values are Panda-like: 2 cm wide, 5 cm long finger pads, 70 N class grip.
 */
export const GRIPPER = {
  fingerHalfWidthMetres: 0.01, // along hand x
  fingerHalfThicknessMetres: 0.006, // along hand y, the sliding direction
  fingerHalfLengthMetres: 0.025, // along hand z
  /** Pad centre along hand z: pads span [-0.04, +0.01]. */
  fingerCentreZMetres: -0.015,
  fingerMassKg: 0.05,
  palmHalfExtentsMetres: [0.02, 0.1, 0.015] as const,
  palmCentreZMetres: -0.055,
  /** Panda hand ~0.73 kg; heavy enough that light objects barely deflect it. */
  palmMassKg: 0.7,
  /**
   * Stiffness of the weld that drags the hand to its commanded (mocap) pose, as MuJoCo solref
   * time constant; MuJoCo raises it to 2 timesteps when smaller. Tracking lags ~2 x this x speed.
   */
  driveTimeConstSec: 0.004,
  /** Position servo of each finger. kp * 0.04 m exceeds the force limit, so a closing finger pushes with the limit. */
  fingerKpNPerMetre: 1000,
  fingerForceLimitN: 30,
  /** Near-critical damping for kp and the finger mass. */
  fingerDampingNsPerMetre: 10,
  /**
   * Finger servo setpoint speed; unlimited fingers slam through objects. The real Panda manages
   * 0.05-0.1 m/s; 0.15 lets a full close finish within the 0.25 s the simulator allows a gripper
   * action (longer and PerAct's stop rule sees the waiting arm as yet another keyframe).
   */
  fingerSpeedMetresPerSec: 0.15,
  /** A pad counts as touching an object within this distance. */
  graspTouchMetres: 0.002,
  /**
   * A thin sensing plate on the hand's x-z plane between the pads (engine-invisible: it collides
   * with nothing). An object both pads touch and that crosses this plate is between the fingers;
   * one touched only by the outside of the fingers or by their tips is not.
   */
  sensorHalfExtentsMetres: [0.01, 0.0005, 0.02] as const,
  sensorCentreZMetres: -0.015,
} as const;

/** MJCF names of the gripper (scene bodies are named s0, s1, ... so these cannot clash). */
export const MJ_HAND = 'hand';
export const MJ_HAND_TARGET = 'hand_target';
export const MJ_HAND_JOINT = 'hand_free';
export const MJ_FINGER_LEFT = 'finger_left';
export const MJ_FINGER_RIGHT = 'finger_right';
export const MJ_FINGER_LEFT_JOINT = 'finger_left_slide';
export const MJ_FINGER_RIGHT_JOINT = 'finger_right_slide';
export const MJ_FINGER_LEFT_GEOM = 'finger_left_pad';
export const MJ_FINGER_RIGHT_GEOM = 'finger_right_pad';
export const MJ_PINCH_SENSOR_GEOM = 'pinch_sensor';

/**
 * The gripper: a gravity-compensated free hand body carrying two position-controlled slide
 * fingers, welded to a geometry-less mocap body that the world moves. The hand is dynamic rather
 * than itself a mocap body because MuJoCo gives mocap bodies zero velocity: a moving mocap hand
 * lags its contacts by centimetres and tunnels through what it pushes.
 */
export function gripperMjcf(fmt: (n: number) => string): { bodies: string; actuators: string; contacts: string; equalities: string } {
  const g = GRIPPER;
  const fingerSize = `${fmt(g.fingerHalfWidthMetres)} ${fmt(g.fingerHalfThicknessMetres)} ${fmt(g.fingerHalfLengthMetres)}`;
  const finger = (name: string, joint: string, geom: string, sign: 1 | -1): string =>
    `    <body name="${name}" gravcomp="1">\n` +
    `      <joint name="${joint}" type="slide" axis="0 ${sign} 0" range="0 ${fmt(FINGER_MAX_OPENING_METRES)}" damping="${fmt(g.fingerDampingNsPerMetre)}"/>\n` +
    `      <geom name="${geom}" type="box" size="${fingerSize}" pos="0 ${fmt(sign * g.fingerHalfThicknessMetres)} ${fmt(g.fingerCentreZMetres)}"` +
    ` mass="${fmt(g.fingerMassKg)}" rgba="0.9 0.9 0.9 1"/>\n` +
    `    </body>\n`;
  const bodies =
    `  <body name="${MJ_HAND_TARGET}" mocap="true"/>\n` +
    `  <body name="${MJ_HAND}" gravcomp="1">\n` +
    `    <freejoint name="${MJ_HAND_JOINT}"/>\n` +
    `    <geom type="box" size="${g.palmHalfExtentsMetres.map(fmt).join(' ')}" pos="0 0 ${fmt(g.palmCentreZMetres)}"` +
    ` mass="${fmt(g.palmMassKg)}" rgba="0.9 0.9 0.9 1"/>\n` +
    `    <geom name="${MJ_PINCH_SENSOR_GEOM}" type="box" size="${g.sensorHalfExtentsMetres.map(fmt).join(' ')}"` +
    ` pos="0 0 ${fmt(g.sensorCentreZMetres)}" contype="0" conaffinity="0" mass="0" group="4" rgba="0 1 0 0"/>\n` +
    finger(MJ_FINGER_LEFT, MJ_FINGER_LEFT_JOINT, MJ_FINGER_LEFT_GEOM, 1) +
    finger(MJ_FINGER_RIGHT, MJ_FINGER_RIGHT_JOINT, MJ_FINGER_RIGHT_GEOM, -1) +
    `  </body>\n`;
  const servo = (joint: string): string =>
    `  <position joint="${joint}" kp="${fmt(g.fingerKpNPerMetre)}" ctrlrange="0 ${fmt(FINGER_MAX_OPENING_METRES)}"` +
    ` forcerange="${fmt(-g.fingerForceLimitN)} ${fmt(g.fingerForceLimitN)}"/>\n`;
  return {
    bodies,
    actuators: servo(MJ_FINGER_LEFT_JOINT) + servo(MJ_FINGER_RIGHT_JOINT),
    // Closed fingers touch each other; that contact means nothing and would fight the servos.
    contacts: `  <exclude body1="${MJ_FINGER_LEFT}" body2="${MJ_FINGER_RIGHT}"/>\n`,
    equalities:
      `  <weld name="hand_drive" body1="${MJ_HAND_TARGET}" body2="${MJ_HAND}" relpose="0 0 0 1 0 0 0"` +
      ` solref="${fmt(g.driveTimeConstSec)} 1"/>\n`,
  };
}
