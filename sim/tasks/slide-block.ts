import { RLBENCH_COLOURS } from '../colours.js';
import type { BodySpec } from '../scene.js';
import { pose, targetArea, TABLE_TOP_Z, topDownQuat } from './builders.js';
import { APPROACH_Z, colourName, colourRgb, step } from './common.js';
import type { TaskDefinition } from './task.js';

const SLAB_HALF = 0.05;
const SLAB_HALF_HEIGHT = 0.025;
const AREA_HALF = 0.06;
/** Four target areas around the block, in these directions (radians about z). */
const DIRECTIONS = [0, Math.PI / 2, Math.PI, -Math.PI / 2];

export const slideBlockToColorTarget: TaskDefinition = {
  name: 'slide_block_to_color_target',
  description: 'push the slab onto the target area of the named colour (four coloured areas)',
  variationCount: RLBENCH_COLOURS.length,
  episodeLimit: 25,
  slotNames: ['colour'],
  build(variation, rng) {
    const others = rng.shuffle(Array.from({ length: RLBENCH_COLOURS.length }, (_, i) => i).filter((i) => i !== variation));
    const colours = [variation, ...others.slice(0, 3)];
    const slot = rng.int(0, 3); // which direction the named area lies in
    const bx = rng.uniform(0.44, 0.5);
    const by = rng.uniform(-0.05, 0.05);
    const reach = rng.uniform(0.17, 0.2);
    const areas: BodySpec[] = DIRECTIONS.map((dir, k) => {
      const colourIndex = colours[(k - slot + 4) % 4];
      // The area behind the slab (towards the robot) sits closer so the arm can push it there.
      const r = dir === Math.PI ? reach * 0.75 : reach;
      return targetArea(colourIndex === variation ? 'target' : `area${k}`, 10 + k, colourRgb(colourIndex), bx + r * Math.cos(dir), by + r * Math.sin(dir), AREA_HALF);
    });
    const slab: BodySpec = {
      name: 'block',
      objectId: 20,
      motion: 'free',
      massKg: 0.2,
      pose: pose(bx, by, TABLE_TOP_Z + SLAB_HALF_HEIGHT, rng.uniform(-0.2, 0.2)),
      geoms: [{ shape: { kind: 'box', halfExtentsMetres: [SLAB_HALF, SLAB_HALF, SLAB_HALF_HEIGHT] }, colour: [0.9, 0.9, 0.9], friction: 0.5 }],
    };
    const name = colourName(variation);
    return {
      slots: { colour: name },
      scene: { bodies: [...areas, slab] },
      goals: [`slide the block to the ${name} target`, `push the block onto the ${name} square`, `slide the block until it is on top of the ${name} plane`],
      success: (world) => {
        const b = world.bodyPose('block').positionMetres;
        const t = world.bodyPose('target').positionMetres;
        return Math.abs(b[0] - t[0]) < AREA_HALF && Math.abs(b[1] - t[1]) < AREA_HALF;
      },
      expert: (world) => {
        const b = world.bodyPose('block').positionMetres;
        const t = world.bodyPose('target').positionMetres;
        const dx = t[0] - b[0];
        const dy = t[1] - b[1];
        const len = Math.hypot(dx, dy);
        const ux = dx / len;
        const uy = dy / len;
        // Tool x along the push puts the open fingers (along tool y, 8 cm apart) across it: both
        // pads press on the slab's 10 cm face, a stable two-point push.
        const q = topDownQuat(Math.atan2(uy, ux));
        const z = TABLE_TOP_Z + 0.02;
        const back = SLAB_HALF + 0.035;
        const start: [number, number, number] = [b[0] - ux * back, b[1] - uy * back, z];
        const end: [number, number, number] = [t[0] - ux * (SLAB_HALF + 0.012), t[1] - uy * (SLAB_HALF + 0.012), z];
        return [
          step('above the push start', [start[0], start[1], APPROACH_Z], q, true, false),
          step('lower behind the block', start, q, true, true),
          step('push the block', end, q, true, true),
          step('lift away', [end[0], end[1], APPROACH_Z], q, true, true),
        ];
      },
    };
  },
};
