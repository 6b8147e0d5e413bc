import { RLBENCH_COLOURS } from '../colours.js';
import type { BodySpec, UnitRgb } from '../scene.js';
import { distinctColours, pose, samplePositions, TABLE_TOP_Z } from './builders.js';
import { colourName, colourRgb, pickSteps, placeSteps } from './common.js';
import type { TaskDefinition } from './task.js';

const JAR_RADIUS = 0.028;
const JAR_HALF_HEIGHT = 0.04;
const LID_RADIUS = 0.03;
const LID_HALF_HEIGHT = 0.01;

function jar(name: string, objectId: number, colour: UnitRgb, x: number, y: number): BodySpec {
  return {
    name,
    objectId,
    motion: 'free',
    massKg: 0.4,
    pose: pose(x, y, TABLE_TOP_Z + JAR_HALF_HEIGHT),
    geoms: [{ shape: { kind: 'cylinder', radiusMetres: JAR_RADIUS, halfHeightMetres: JAR_HALF_HEIGHT }, colour }],
  };
}

export const closeJar: TaskDefinition = {
  name: 'close_jar',
  description: 'put the lid on the jar of the named colour (one distractor jar); placing closes it, no screwing',
  variationCount: RLBENCH_COLOURS.length,
  episodeLimit: 25,
  slotNames: ['colour'],
  build(variation, rng) {
    const colours = distinctColours(rng, 2, variation, RLBENCH_COLOURS.length);
    const xy = samplePositions(rng, 3, 0.13);
    const lid: BodySpec = {
      name: 'lid',
      objectId: 20,
      motion: 'free',
      graspable: true,
      massKg: 0.05,
      pose: pose(xy[2][0], xy[2][1], TABLE_TOP_Z + LID_HALF_HEIGHT),
      geoms: [{ shape: { kind: 'cylinder', radiusMetres: LID_RADIUS, halfHeightMetres: LID_HALF_HEIGHT }, colour: [0.75, 0.75, 0.75], friction: 1 }],
    };
    const bodies = [jar('jar', 10, colourRgb(colours[0]), xy[0][0], xy[0][1]), jar('distractor_jar', 11, colourRgb(colours[1]), xy[1][0], xy[1][1]), lid];
    const name = colourName(variation);
    return {
      slots: { colour: name },
      scene: { bodies },
      goals: [`close the ${name} jar`, `put the lid on the ${name} jar`, `screw on the ${name} jar lid`],
      success: (world) => {
        if (world.heldBody() === 'lid') return false;
        const j = world.bodyPose('jar').positionMetres;
        const l = world.bodyPose('lid').positionMetres;
        const onTop = Math.abs(l[2] - (j[2] + JAR_HALF_HEIGHT + LID_HALF_HEIGHT)) < 0.01;
        return onTop && Math.hypot(l[0] - j[0], l[1] - j[1]) < 0.015;
      },
      expert: (world) => {
        const j = world.bodyPose('jar').positionMetres;
        const placeZ = j[2] + JAR_HALF_HEIGHT + LID_HALF_HEIGHT + 0.004;
        return [...pickSteps(world, 'lid'), ...placeSteps([j[0], j[1], placeZ], 0, 'the jar')];
      },
    };
  },
};
