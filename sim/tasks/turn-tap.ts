import type { BodySpec } from '../scene.js';
import { pose, TABLE_TOP_Z, topDownQuat } from './builders.js';
import { APPROACH_Z, step } from './common.js';
import type { TaskDefinition } from './task.js';

const POST_HALF_HEIGHT = 0.04;
const LEVER_Z = TABLE_TOP_Z + 2 * POST_HALF_HEIGHT + 0.008;
const LEVER_LENGTH = 0.1;
const PUSH_RADIUS = 0.07;
/** From the lever's centre line to the closed fingers' centre: lever half width + finger half + gap. */
const PUSH_OFFSET = 0.008 + 0.012 + 0.006;
const TURNED_RAD = 1.4;
const SIDES = ['left', 'right'] as const;

function tap(side: (typeof SIDES)[number], objectId: number, x: number, y: number, yawRad: number): BodySpec[] {
  return [
    {
      name: `${side}_tap_post`,
      objectId,
      motion: 'fixed',
      pose: pose(x, y, TABLE_TOP_Z + POST_HALF_HEIGHT),
      geoms: [{ shape: { kind: 'cylinder', radiusMetres: 0.02, halfHeightMetres: POST_HALF_HEIGHT }, colour: [0.75, 0.75, 0.75] }],
    },
    {
      name: `${side}_tap`,
      objectId: objectId + 1,
      motion: 'jointed',
      joint: { type: 'revolute', axis: [0, 0, 1], range: [0, 1.9], damping: 0.02 },
      massKg: 0.05,
      pose: pose(x, y, LEVER_Z, yawRad),
      geoms: [
        { shape: { kind: 'cylinder', radiusMetres: 0.015, halfHeightMetres: 0.008 }, colour: [0.2, 0.2, 0.6] },
        { shape: { kind: 'box', halfExtentsMetres: [LEVER_LENGTH / 2, 0.008, 0.008] }, localPose: { positionMetres: [LEVER_LENGTH / 2, 0, 0], quaternion: [0, 0, 0, 1] }, colour: [0.2, 0.2, 0.6] },
      ],
    },
  ];
}

export const turnTap: TaskDefinition = {
  name: 'turn_tap',
  description: 'turn the left or right tap a quarter turn by pushing its lever',
  variationCount: 2,
  episodeLimit: 25,
  slotNames: ['side'],
  build(variation, rng) {
    const x = rng.uniform(0.45, 0.55);
    const spread = rng.uniform(0.12, 0.16);
    const yaws = [Math.PI + rng.uniform(-0.3, 0.3), Math.PI + rng.uniform(-0.3, 0.3)];
    const bodies = [...tap('left', 10, x, spread, yaws[0]), ...tap('right', 12, x, -spread, yaws[1])];
    const side = SIDES[variation];
    const lever = `${side}_tap`;
    return {
      slots: { side },
      scene: { bodies },
      goals: [`turn the ${side} tap`, `rotate the ${side} tap`, `turn on the water with the ${side} handle`],
      success: (world) => world.jointValue(lever) > TURNED_RAD,
      expert: (world) => {
        const p = world.bodyPose(lever);
        const [px, py] = p.positionMetres;
        const [qx, qy, qz, qw] = p.quaternion;
        const theta0 = Math.atan2(2 * (qw * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz));
        const q = topDownQuat(0);
        // The closed fingers sit behind the lever (the side it turns away from) and sweep an arc.
        const at = (phi: number, z: number): [number, number, number] => [
          px + PUSH_RADIUS * Math.cos(phi) + PUSH_OFFSET * Math.sin(phi),
          py + PUSH_RADIUS * Math.sin(phi) - PUSH_OFFSET * Math.cos(phi),
          z,
        ];
        const z = LEVER_Z - 0.005;
        return [
          step('above the lever', at(theta0, APPROACH_Z), q, false, false),
          step('beside the lever', at(theta0, z), q, false, true),
          step('turn a third', at(theta0 + 0.6, z), q, false, true),
          step('turn two thirds', at(theta0 + 1.2, z), q, false, true),
          step('turn fully', at(theta0 + 1.75, z), q, false, true),
          step('lift off', at(theta0 + 1.75, APPROACH_Z), q, false, true),
        ];
      },
    };
  },
};
