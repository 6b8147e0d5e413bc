import { RLBENCH_COLOURS } from '../colours.js';
import type { BodySpec, GeomSpec, UnitRgb } from '../scene.js';
import { block, distinctColours, pose, samplePositions, TABLE_TOP_Z } from './builders.js';
import { colourName, colourRgb, pickSteps, placeSteps, yawOf } from './common.js';
import type { TaskDefinition } from './task.js';

const BOWL_RADIUS = 0.07;
const WALL_HEIGHT = 0.04;
const WALL_SEGMENTS = 12;

/** A bowl from primitives: a disc and a ring of thin wall boxes. */
export function bowl(name: string, objectId: number, colour: UnitRgb, x: number, y: number): BodySpec {
  const geoms: GeomSpec[] = [{ shape: { kind: 'cylinder', radiusMetres: BOWL_RADIUS, halfHeightMetres: 0.004 }, localPose: { positionMetres: [0, 0, 0.004], quaternion: [0, 0, 0, 1] }, colour }];
  const segment = Math.tan(Math.PI / WALL_SEGMENTS) * BOWL_RADIUS;
  for (let k = 0; k < WALL_SEGMENTS; k++) {
    const a = (2 * Math.PI * k) / WALL_SEGMENTS;
    geoms.push({
      shape: { kind: 'box', halfExtentsMetres: [0.004, segment + 0.002, WALL_HEIGHT / 2] },
      localPose: { positionMetres: [BOWL_RADIUS * Math.cos(a), BOWL_RADIUS * Math.sin(a), WALL_HEIGHT / 2], quaternion: [0, 0, Math.sin(a / 2), Math.cos(a / 2)] },
      colour,
    });
  }
  return { name, objectId, motion: 'free', massKg: 0.3, pose: pose(x, y, TABLE_TOP_Z), geoms };
}

export const putBlockInBowl: TaskDefinition = {
  name: 'put_block_in_bowl',
  description: 'put the block into the bowl of the named colour (one distractor bowl)',
  variationCount: RLBENCH_COLOURS.length,
  episodeLimit: 25,
  slotNames: ['colour'],
  build(variation, rng) {
    const colours = distinctColours(rng, 2, variation, RLBENCH_COLOURS.length);
    const blockColour = rng.pick(Array.from({ length: RLBENCH_COLOURS.length }, (_, i) => i).filter((i) => !colours.includes(i)));
    const xy = samplePositions(rng, 3, 0.19);
    const bodies = [bowl('bowl', 10, colourRgb(colours[0]), xy[0][0], xy[0][1]), bowl('distractor_bowl', 11, colourRgb(colours[1]), xy[1][0], xy[1][1])];
    bodies.push(block('block', 20, colourRgb(blockColour), xy[2][0], xy[2][1], rng.uniform(-0.6, 0.6)));
    const name = colourName(variation);
    return {
      slots: { colour: name },
      scene: { bodies },
      goals: [`put the block in the ${name} bowl`, `drop the block into the ${name} bowl`, `place the cube inside the ${name} bowl`],
      success: (world) => {
        if (world.heldBody() === 'block') return false;
        const b = world.bodyPose('bowl').positionMetres;
        const p = world.bodyPose('block').positionMetres;
        return Math.hypot(p[0] - b[0], p[1] - b[1]) < BOWL_RADIUS - 0.01 && p[2] < b[2] + WALL_HEIGHT + 0.01;
      },
      expert: (world) => {
        const b = world.bodyPose('bowl').positionMetres;
        return [...pickSteps(world, 'block'), ...placeSteps([b[0], b[1], TABLE_TOP_Z + 0.045], yawOf(world.bodyPose('block')), 'the bowl')];
      },
    };
  },
};
