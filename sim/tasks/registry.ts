import { invalidArgument } from '../../core/index.js';
import { putBlockInBowl } from './block-in-bowl.js';
import { closeJar } from './close-jar.js';
import { openDrawer, putItemInDrawer } from './drawers.js';
import { pickAndLift } from './pick-and-lift.js';
import { pushButtons } from './push-buttons.js';
import { reachTarget } from './reach-target.js';
import { slideBlockToColorTarget } from './slide-block.js';
import { stackBlocks } from './stack-blocks.js';
import type { TaskDefinition } from './task.js';
import { turnTap } from './turn-tap.js';

/** Every task, in a fixed order (the order of `--tasks all`). */
export const TASKS: readonly TaskDefinition[] = [
  reachTarget,
  pickAndLift,
  pushButtons,
  slideBlockToColorTarget,
  openDrawer,
  putItemInDrawer,
  stackBlocks,
  putBlockInBowl,
  closeJar,
  turnTap,
];

export const TASK_NAMES: readonly string[] = TASKS.map((t) => t.name);

export function getTask(name: string): TaskDefinition {
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw invalidArgument('task', `unknown task ${JSON.stringify(name)}; known: ${TASK_NAMES.join(', ')}`);
  return task;
}
