import { RLBENCH_COLOURS } from '../colours.js';
import { block, distinctColours, samplePositions, TABLE_TOP_Z } from './builders.js';
import { colourName, colourRgb, pickSteps } from './common.js';
import type { TaskDefinition } from './task.js';

const LIFT_HEIGHT = 0.12;

export const pickAndLift: TaskDefinition = {
  name: 'pick_and_lift',
  description: 'pick up the block of the named colour and lift it at least 12 cm (two distractor blocks)',
  variationCount: RLBENCH_COLOURS.length,
  episodeLimit: 25,
  slotNames: ['colour'],
  build(variation, rng) {
    const colours = distinctColours(rng, 3, variation, RLBENCH_COLOURS.length);
    const xy = samplePositions(rng, 3, 0.1);
    const bodies = colours.map((c, i) => block(i === 0 ? 'block' : `distractor${i}`, 10 + i, colourRgb(c), xy[i][0], xy[i][1], rng.uniform(-0.6, 0.6)));
    const name = colourName(variation);
    return {
      slots: { colour: name },
      scene: { bodies },
      goals: [`pick up the ${name} block and lift it up`, `grasp the ${name} block and lift it`, `lift the ${name} block off the table`],
      success: (world) => world.heldBody() === 'block' && world.bodyPose('block').positionMetres[2] > TABLE_TOP_Z + LIFT_HEIGHT,
      expert: (world) => pickSteps(world, 'block'),
    };
  },
};
