import type { Rng, Vec3 } from '../../core/index.js';
import type { BodySpec, GeomSpec, UnitRgb } from '../scene.js';
import { block, pose, quatFromToolAxes, TABLE_TOP_Z, topDownQuat } from './builders.js';
import { APPROACH_Z, CARRY_Z, pickSteps, step } from './common.js';
import type { TaskDefinition, TaskWorldView } from './task.js';

/**
 * A three-drawer cabinet facing the robot (-x). Drawer k (0 bottom, 1 middle, 2 top) slides out
 * along -x on a prismatic joint; its handle is a horizontal bar the gripper grasps from the front.
 */
const DRAWER_NAMES = ['bottom', 'middle', 'top'] as const;
const PLINTH = 0.15;
const SLOT = 0.1;
const DEPTH_HALF = 0.12;
const WIDTH_HALF = 0.11;
const HEIGHT = PLINTH + 3 * SLOT + 0.01;
const WOOD: UnitRgb = [0.55, 0.4, 0.3];
const FRONT: UnitRgb = [0.8, 0.75, 0.65];
const HANDLE: UnitRgb = [0.2, 0.2, 0.2];
/** Height of the handle's centre above the drawer's origin, plus 4 mm. */
const HANDLE_Z = 0.044;
/**
 * The handle is a vertical bar on 4 cm stand-offs, grasped by a gripper tilted 60 degrees down
 * with its fingers closing sideways (along world y). The Panda's IK reaches that pose across the
 * workspace (a level gripper at these heights often is not), and the 20 cm wide palm then lies
 * horizontally, clear of the drawers above and below.
 */
const HANDLE_X = -0.165;
const GRASP_TILT_RAD = Math.PI / 3;

function box(centre: Vec3, half: Vec3, colour: UnitRgb): GeomSpec {
  return { shape: { kind: 'box', halfExtentsMetres: half }, localPose: { positionMetres: centre, quaternion: [0, 0, 0, 1] }, colour };
}

export interface Cabinet {
  bodies: BodySpec[];
  frontX: number;
  centreY: number;
}

export function cabinet(frontX: number, centreY: number, openDrawer: number | null, openMetres: number): Cabinet {
  const shelves: GeomSpec[] = [1, 2].map((k) => box([0, 0, PLINTH + k * SLOT], [DEPTH_HALF, WIDTH_HALF - 0.01, 0.002], WOOD));
  const frame: BodySpec = {
    name: 'cabinet',
    objectId: 30,
    motion: 'fixed',
    pose: pose(frontX + DEPTH_HALF, centreY, TABLE_TOP_Z),
    geoms: [
      box([0, 0, PLINTH / 2], [DEPTH_HALF, WIDTH_HALF, PLINTH / 2], WOOD),
      box([DEPTH_HALF - 0.005, 0, HEIGHT / 2], [0.005, WIDTH_HALF, HEIGHT / 2], WOOD),
      box([0, WIDTH_HALF - 0.005, HEIGHT / 2], [DEPTH_HALF, 0.005, HEIGHT / 2], WOOD),
      box([0, -(WIDTH_HALF - 0.005), HEIGHT / 2], [DEPTH_HALF, 0.005, HEIGHT / 2], WOOD),
      box([0, 0, HEIGHT - 0.005], [DEPTH_HALF, WIDTH_HALF, 0.005], WOOD),
      ...shelves,
    ],
  };
  const drawers: BodySpec[] = DRAWER_NAMES.map((label, k) => {
    const out = k === openDrawer ? openMetres : 0;
    return {
      name: `drawer_${label}`,
      objectId: 31 + k,
      motion: 'jointed',
      graspable: true,
      // The joint's zero is where the drawer starts, so an opened drawer's range starts below 0.
      joint: { type: 'prismatic', axis: [-1, 0, 0], range: [-out, 0.22 - out], damping: 8 },
      massKg: 0.4,
      // A child of the cabinet: the engine then ignores drawer-cabinet contacts (the joint alone
      // holds the drawer), so a pulled drawer slides freely instead of dragging on the shelves.
      parent: 'cabinet',
      pose: pose(0.11 - out - DEPTH_HALF, 0, PLINTH + k * SLOT + 0.004),
      geoms: [
        box([0, 0, 0.003], [0.105, 0.095, 0.003], FRONT),
        box([-0.11, 0, 0.035], [0.005, 0.1, 0.035], FRONT),
        box([0.1, 0, 0.03], [0.005, 0.095, 0.03], FRONT),
        box([0, 0.09, 0.03], [0.105, 0.005, 0.03], FRONT),
        box([0, -0.09, 0.03], [0.105, 0.005, 0.03], FRONT),
        box([HANDLE_X, 0, HANDLE_Z - 0.004], [0.01, 0.008, 0.03], HANDLE),
        box([-0.135, 0, HANDLE_Z - 0.024], [0.02, 0.005, 0.005], HANDLE),
        box([-0.135, 0, HANDLE_Z + 0.016], [0.02, 0.005, 0.005], HANDLE),
      ],
    };
  });
  return { bodies: [frame, ...drawers], frontX, centreY };
}

function handleZ(k: number): number {
  return TABLE_TOP_Z + PLINTH + k * SLOT + 0.004 + HANDLE_Z - 0.004;
}

export const openDrawer: TaskDefinition = {
  name: 'open_drawer',
  description: 'open the named drawer (bottom, middle, top) of a cabinet by its handle',
  variationCount: 3,
  episodeLimit: 25,
  slotNames: ['position'],
  build(variation, rng: Rng) {
    const cab = cabinet(rng.uniform(0.63, 0.67), rng.uniform(-0.1, 0.1), null, 0);
    const drawer = `drawer_${DRAWER_NAMES[variation]}`;
    const label = DRAWER_NAMES[variation];
    return {
      slots: { position: label },
      scene: { bodies: cab.bodies },
      goals: [`open the ${label} drawer`, `grip the ${label} handle and pull the ${label} drawer open`, `slide the ${label} drawer open`],
      success: (world) => world.jointValue(drawer) > 0.15,
      expert: (world: TaskWorldView) => {
        const d = world.bodyPose(drawer).positionMetres;
        const c = Math.cos(GRASP_TILT_RAD);
        const sn = Math.sin(GRASP_TILT_RAD);
        // Approach along tool z = forward and down; the fingers close sideways on the bar.
        const q = quatFromToolAxes([sn, 0, c], [0, -1, 0], [c, 0, -sn]);
        const grasp: Vec3 = [d[0] + HANDLE_X - 0.005 * c, d[1], handleZ(variation) + 0.005 * sn];
        return [
          step('in front of the handle', [grasp[0] - 0.08, grasp[1], grasp[2]], q, true, false),
          step('grasp the handle', grasp, q, false, true),
          step('pull the drawer open', [grasp[0] - 0.17, grasp[1], grasp[2]], q, false, true),
        ];
      },
    };
  },
};

export const putItemInDrawer: TaskDefinition = {
  name: 'put_item_in_drawer',
  description: 'put the block into the open drawer (bottom, middle or top)',
  variationCount: 3,
  episodeLimit: 25,
  slotNames: ['position'],
  build(variation, rng: Rng) {
    const open = 0.22;
    const side = rng.next() < 0.5 ? 1 : -1;
    const cab = cabinet(rng.uniform(0.56, 0.6), side * rng.uniform(0.1, 0.15), variation, open);
    const item = block('item', 20, [0.75, 0.75, 0.75], rng.uniform(0.32, 0.42), -side * rng.uniform(0.13, 0.24), rng.uniform(-0.5, 0.5));
    const drawer = `drawer_${DRAWER_NAMES[variation]}`;
    const label = DRAWER_NAMES[variation];
    return {
      slots: { position: label },
      scene: { bodies: [...cab.bodies, item] },
      goals: [`put the item in the ${label} drawer`, `put the block away in the ${label} drawer`, `place the block in the ${label} drawer`],
      success: (world) => {
        if (world.heldBody() === 'item') return false;
        const d = world.bodyPose(drawer).positionMetres;
        const p = world.bodyPose('item').positionMetres;
        return Math.abs(p[0] - d[0]) < 0.1 && Math.abs(p[1] - d[1]) < 0.085 && p[2] > d[2] && p[2] < d[2] + 0.06;
      },
      expert: (world) => {
        const d = world.bodyPose(drawer).positionMetres;
        const carry = Math.max(CARRY_Z, TABLE_TOP_Z + HEIGHT + 0.05);
        const q = topDownQuat(0);
        const placeZ = d[2] + 0.006 + 0.0225 + 0.008;
        return [
          ...pickSteps(world, 'item', carry),
          // Well in front of the closed drawers above, whose handles stick out 8 cm.
          step('carry over the drawer', [d[0] - 0.06, d[1], carry], q, false, false),
          step('lower into the drawer', [d[0] - 0.06, d[1], placeZ], q, false, true),
          step('release the item', [d[0] - 0.06, d[1], placeZ], q, true, true),
          step('retreat', [d[0] - 0.06, d[1], Math.max(APPROACH_Z, carry)], q, true, true),
        ];
      },
    };
  },
};
