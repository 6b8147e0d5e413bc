/** The simulator's tasks: RLBench-style tabletop tasks with variations, goals and an expert. */
export { TASKS, TASK_NAMES, getTask } from './registry.js';
export type { ExpertStep, TaskDefinition, TaskInstance, TaskWorldView } from './task.js';
export { TABLE_TOP_Z, WORKSPACE } from './builders.js';
