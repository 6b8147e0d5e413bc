import { RLBENCH_COLOURS } from '../colours.js';
import { distinctColours, samplePositions, targetSphere, topDownQuat } from './builders.js';
import { colourName, colourRgb, step } from './common.js';
import type { TaskDefinition } from './task.js';

const RADIUS = 0.025;
const SUCCESS_DISTANCE = 0.03;

export const reachTarget: TaskDefinition = {
  name: 'reach_target',
  description: 'move the gripper into the sphere of the named colour (two distractor spheres)',
  variationCount: RLBENCH_COLOURS.length,
  episodeLimit: 25,
  slotNames: ['colour'],
  build(variation, rng) {
    const colours = distinctColours(rng, 3, variation, RLBENCH_COLOURS.length);
    const xy = samplePositions(rng, 3, 0.12);
    const bodies = colours.map((c, i) => targetSphere(i === 0 ? 'target' : `distractor${i}`, 10 + i, colourRgb(c), [xy[i][0], xy[i][1], rng.uniform(0.08, 0.3)], RADIUS));
    const name = colourName(variation);
    return {
      slots: { colour: name },
      scene: { bodies },
      goals: [`reach the ${name} target`, `touch the ${name} ball with the panda gripper`, `reach the ${name} sphere`],
      success: (world) => {
        const t = world.bodyPose('target').positionMetres;
        const h = world.handPose().positionMetres;
        return Math.hypot(t[0] - h[0], t[1] - h[1], t[2] - h[2]) < SUCCESS_DISTANCE;
      },
      expert: (world) => [step('reach the target', world.bodyPose('target').positionMetres, topDownQuat(0), true, false)],
    };
  },
};
