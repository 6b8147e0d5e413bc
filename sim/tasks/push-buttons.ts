import { RLBENCH_COLOURS } from '../colours.js';
import type { BodySpec } from '../scene.js';
import { pose, samplePositions, TABLE_TOP_Z, topDownQuat } from './builders.js';
import { APPROACH_Z, colourName, colourRgb, step } from './common.js';
import type { ExpertStep, TaskDefinition } from './task.js';

const BUTTONS = 3;
const CAP_TOP_Z = TABLE_TOP_Z + 0.036;
/** The cap's joint travel counted as a press, and the height it must return to before it counts again. */
const PRESSED_BELOW = -0.006;
const RELEASED_ABOVE = -0.003;

function button(index: number, colour: [number, number, number], x: number, y: number): BodySpec[] {
  const base = `button${index}_base`;
  return [
    {
      name: base,
      objectId: 20 + index * 2,
      motion: 'fixed',
      pose: pose(x, y, TABLE_TOP_Z + 0.01),
      geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.03, 0.03, 0.01] }, colour: [0.25, 0.25, 0.25] }],
    },
    {
      name: `button${index}`,
      objectId: 21 + index * 2,
      motion: 'jointed',
      parent: base,
      pose: pose(0, 0, 0.018),
      joint: { type: 'prismatic', axis: [0, 0, 1], range: [-0.012, 0], stiffness: 300, damping: 3 },
      massKg: 0.02,
      geoms: [{ shape: { kind: 'cylinder', radiusMetres: 0.018, halfHeightMetres: 0.008 }, colour }],
    },
  ];
}

export const pushButtons: TaskDefinition = {
  name: 'push_buttons',
  description: 'push 1-3 coloured buttons in the named order (variation = first colour x count)',
  variationCount: RLBENCH_COLOURS.length * BUTTONS,
  episodeLimit: 25,
  slotNames: ['colour', 'colours', 'count', 'buttons'],
  build(variation, rng) {
    const first = variation % RLBENCH_COLOURS.length;
    const count = 1 + Math.floor(variation / RLBENCH_COLOURS.length);
    const others = rng.shuffle(Array.from({ length: RLBENCH_COLOURS.length }, (_, i) => i).filter((i) => i !== first));
    const colours = [first, ...others.slice(0, BUTTONS - 1)];
    const xy = samplePositions(rng, BUTTONS, 0.11);
    const bodies = colours.flatMap((c, i) => button(i, colourRgb(c), xy[i][0], xy[i][1]));
    const order = Array.from({ length: count }, (_, i) => i);
    const names = order.map((i) => colourName(colours[i]));
    const pressed: number[] = [];
    const down = new Array<boolean>(BUTTONS).fill(false);
    const sequence = names.length === 1 ? `the ${names[0]} button` : names.map((n) => `the ${n} button`).join(', then ');
    return {
      slots: { colour: names[0], colours: names.join(', then '), count: String(count), buttons: sequence },
      scene: { bodies },
      goals: [`push ${sequence}`, `press ${sequence}`, `push down ${sequence}`],
      monitor: (world) => {
        for (let i = 0; i < BUTTONS; i++) {
          const v = world.jointValue(`button${i}`);
          if (!down[i] && v < PRESSED_BELOW) {
            down[i] = true;
            pressed.push(i);
          } else if (down[i] && v > RELEASED_ABOVE) down[i] = false;
        }
      },
      success: () => pressed.length >= count && order.every((b, k) => pressed[k] === b),
      expert: (world) => {
        const steps: ExpertStep[] = [];
        const q = topDownQuat(0);
        for (const i of order) {
          const [x, y] = world.bodyPose(`button${i}`).positionMetres;
          steps.push(step(`above button ${i}`, [x, y, APPROACH_Z], q, false, false));
          // Fingertips sit 1 cm below the tool point: push the cap 1 cm down.
          steps.push(step(`press button ${i}`, [x, y, CAP_TOP_Z + 0.01 - 0.01], q, false, true));
          steps.push(step(`release button ${i}`, [x, y, APPROACH_Z], q, false, true));
        }
        return steps;
      },
    };
  },
};
