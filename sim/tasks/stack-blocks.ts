import { RLBENCH_COLOURS } from '../colours.js';
import type { Rng } from '../../core/index.js';
import { block, BLOCK_EDGE_METRES, samplePositions, targetArea, TABLE_TOP_Z, topDownQuat, WORKSPACE } from './builders.js';
import { APPROACH_Z, colourName, colourRgb, GRASP_Z_OFFSET, step, yawOf } from './common.js';
import type { ExpertStep, TaskDefinition, TaskWorldView } from './task.js';

const COUNTS = [2, 3, 4];
const AREA_HALF = 0.05;
const GREEN = 3;

/**
 * The target area first, then blocks 9.5 cm apart and at least 15 cm from the area: the Panda's
 * palm is 20 cm wide across the fingers and, when grasping a block next to a growing tower,
 * would knock the tower over.
 */
function layout(rng: Rng, blocks: number): [number, number][] {
  for (let attempt = 0; attempt < 200; attempt++) {
    const [area] = samplePositions(rng, 1, 0);
    const out: [number, number][] = [area];
    for (let tries = 0; tries < 2000 && out.length <= blocks; tries++) {
      const p: [number, number] = [rng.uniform(WORKSPACE.xMin, WORKSPACE.xMax), rng.uniform(WORKSPACE.yMin, WORKSPACE.yMax)];
      if (Math.hypot(p[0] - area[0], p[1] - area[1]) < 0.15) continue;
      if (out.slice(1).every((o) => Math.hypot(o[0] - p[0], o[1] - p[1]) >= 0.095)) out.push(p);
    }
    if (out.length === blocks + 1) return out;
  }
  throw new RangeError(`cannot place ${blocks} blocks around a target area`);
}

export const stackBlocks: TaskDefinition = {
  name: 'stack_blocks',
  description: 'stack 2-4 blocks of the named colour on the green area (distractor blocks of another colour)',
  variationCount: RLBENCH_COLOURS.length * COUNTS.length,
  episodeLimit: 25,
  slotNames: ['colour', 'count'],
  build(variation, rng) {
    let colour = variation % RLBENCH_COLOURS.length;
    if (colour === GREEN) colour = 2; // lime instead: green is the target area's colour
    const count = COUNTS[Math.floor(variation / RLBENCH_COLOURS.length)];
    const distractorColour = rng.pick(Array.from({ length: RLBENCH_COLOURS.length }, (_, i) => i).filter((i) => i !== colour && i !== GREEN));
    const distractors = 2;
    const xy = layout(rng, count + distractors);
    const [ax, ay] = xy[0];
    const bodies = [targetArea('target', 10, colourRgb(GREEN), ax, ay, AREA_HALF)];
    for (let i = 0; i < count + distractors; i++) {
      const target = i < count;
      bodies.push(block(target ? `block${i}` : `distractor${i - count}`, 20 + i, colourRgb(target ? colour : distractorColour), xy[i + 1][0], xy[i + 1][1], rng.uniform(-0.6, 0.6)));
    }
    const name = colourName(colour);
    // Blocks of the colour on the area, not held, resting at the heights of a tower: level k
    // centred at (k + 0.5) block edges (two blocks side by side on the area are not a stack).
    const stacked = (world: TaskWorldView): number => {
      const t = world.bodyPose('target').positionMetres;
      const levels = new Set<number>();
      for (let i = 0; i < count; i++) {
        const p = world.bodyPose(`block${i}`).positionMetres;
        if (world.heldBody() === `block${i}`) continue;
        if (Math.abs(p[0] - t[0]) >= AREA_HALF || Math.abs(p[1] - t[1]) >= AREA_HALF) continue;
        const level = (p[2] - TABLE_TOP_Z) / BLOCK_EDGE_METRES - 0.5;
        if (Math.abs(level - Math.round(level)) < 0.3) levels.add(Math.round(level));
      }
      let height = 0;
      while (levels.has(height)) height++;
      return height;
    };
    return {
      slots: { colour: name, count: String(count) },
      scene: { bodies },
      goals: [
        `stack ${count} ${name} blocks`,
        `place ${count} of the ${name} cubes on top of each other`,
        `build a tower using ${count} ${name} blocks on the green area`,
      ],
      success: (world) => stacked(world) >= count,
      // Three actions a block (approach, grasp, place): the planner routes the carry over
      // whatever is in the way, so a 4-block tower fits PerAct's 25-action limit even with the
      // extra keyframe each gripper change adds.
      expert: (world) => {
        const t = world.bodyPose('target').positionMetres;
        const steps: ExpertStep[] = [];
        for (let i = 0; i < count; i++) {
          const name = `block${i}`;
          const p = world.bodyPose(name);
          const q = topDownQuat(yawOf(p));
          const [x, y, z] = p.positionMetres;
          const top = TABLE_TOP_Z + BLOCK_EDGE_METRES * (i + 0.5) + GRASP_Z_OFFSET + 0.006;
          steps.push(
            step(`approach ${name}`, [x, y, APPROACH_Z], q, true, false),
            step(`grasp ${name}`, [x, y, z + GRASP_Z_OFFSET], q, false, true),
            step(`place ${name} on the stack`, [t[0], t[1], top], q, true, false),
          );
        }
        return steps;
      },
    };
  },
};
