import type { UnitRgb } from './scene.js';

/** RLBench's colour list (RGB 0-1), in its order; variations index into it. */
export const RLBENCH_COLOURS: readonly (readonly [string, UnitRgb])[] = [
  ['red', [1, 0, 0]],
  ['maroon', [0.5, 0, 0]],
  ['lime', [0, 1, 0]],
  ['green', [0, 0.5, 0]],
  ['blue', [0, 0, 1]],
  ['navy', [0, 0, 0.5]],
  ['yellow', [1, 1, 0]],
  ['cyan', [0, 1, 1]],
  ['magenta', [1, 0, 1]],
  ['silver', [0.75, 0.75, 0.75]],
  ['gray', [0.5, 0.5, 0.5]],
  ['orange', [1, 0.5, 0]],
  ['olive', [0.5, 0.5, 0]],
  ['purple', [0.5, 0, 0.5]],
  ['teal', [0, 0.5, 0.5]],
  ['azure', [0, 0.5, 1]],
  ['violet', [0.5, 0, 1]],
  ['rose', [1, 0, 0.5]],
  ['black', [0, 0, 0]],
  ['white', [1, 1, 1]],
];
