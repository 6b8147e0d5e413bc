import type { Pose } from '../core/index.js';
import type { BodySpec, SceneSpec } from '../sim/scene.js';
import { createPhysicsWorld } from '../sim/physics/index.js';
import { median, timeIt, type Benchmark, type Figure } from './harness.js';

const IDENTITY: Pose['quaternion'] = [0, 0, 0, 1];
const down = (x: number, y: number, z: number): Pose => ({ positionMetres: [x, y, z], quaternion: [1, 0, 0, 0] });

function freeBody(name: string, objectId: number, geom: BodySpec['geoms'][number], x: number, y: number, z: number): BodySpec {
  return { name, objectId, motion: 'free', graspable: true, pose: { positionMetres: [x, y, z], quaternion: IDENTITY }, geoms: [geom] };
}

/** A RLBench-like tabletop: table, five free objects (two stacked), a spring button on its base. 9 bodies + gripper. */
function tabletop(): SceneSpec {
  const cube = (colour: [number, number, number]): BodySpec['geoms'][number] => ({
    shape: { kind: 'box', halfExtentsMetres: [0.02, 0.02, 0.02] },
    colour,
  });
  return {
    bodies: [
      {
        name: 'table',
        objectId: 1,
        motion: 'fixed',
        pose: { positionMetres: [0, 0, 0.375], quaternion: IDENTITY },
        geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.5, 0.5, 0.375] }, colour: [0.6, 0.6, 0.6] }],
      },
      freeBody('red', 2, cube([1, 0, 0]), 0, 0, 0.77),
      freeBody('green', 3, cube([0, 1, 0]), 0.1, 0.1, 0.77),
      freeBody('blue', 4, cube([0, 0, 1]), 0.1, 0.1, 0.81),
      freeBody('can', 5, { shape: { kind: 'cylinder', radiusMetres: 0.03, halfHeightMetres: 0.05 }, colour: [1, 1, 0] }, -0.15, 0.1, 0.8),
      freeBody('ball', 6, { shape: { kind: 'sphere', radiusMetres: 0.025 }, colour: [0, 1, 1] }, -0.1, -0.15, 0.775),
      {
        name: 'target',
        objectId: 7,
        motion: 'fixed',
        pose: { positionMetres: [0.2, -0.2, 0.7505], quaternion: IDENTITY },
        geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.05, 0.05, 0.0005] }, colour: [0, 0.5, 0], collides: false }],
      },
      {
        name: 'button_base',
        objectId: 8,
        motion: 'fixed',
        pose: { positionMetres: [0.25, 0.15, 0.76], quaternion: IDENTITY },
        geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.04, 0.04, 0.01] }, colour: [0.2, 0.2, 0.2] }],
      },
      {
        name: 'button',
        objectId: 9,
        motion: 'jointed',
        parent: 'button_base',
        massKg: 0.02,
        pose: { positionMetres: [0, 0, 0.02], quaternion: IDENTITY },
        joint: { type: 'prismatic', axis: [0, 0, 1], range: [-0.015, 0], stiffness: 200, damping: 1 },
        geoms: [{ shape: { kind: 'cylinder', radiusMetres: 0.02, halfHeightMetres: 0.01 }, colour: [1, 0, 0] }],
      },
    ],
  };
}

const STEPS_PER_RUN = 2000;

export const benchmarks: Benchmark[] = [
  {
    name: 'physics/steps-per-s/tabletop',
    run: async (): Promise<Figure[]> => {
      const scene = tabletop();
      const create = await timeIt('physics/create-world/tabletop', async () => (await createPhysicsWorld(scene)).dispose(), {
        runs: 10,
        warmup: 2,
        extra: { bodies: scene.bodies.length },
      });
      const world = await createPhysicsWorld(scene, { initialHandPose: down(0, 0, 0.9) });
      world.step(500); // let the objects settle
      // The hand grasps, carries and drops the red cube in a loop, so contacts, the grasp check and
      // the weld are all exercised, not just resting bodies.
      const pickAndPlace = (from: [number, number], to: [number, number]): { pose: Pose; openingMetres: number }[] => [
        { pose: down(...from, 0.9), openingMetres: 0.04 },
        { pose: down(...from, 0.775), openingMetres: 0.04 },
        { pose: down(...from, 0.775), openingMetres: 0 },
        { pose: down(...to, 0.9), openingMetres: 0 },
        { pose: down(...to, 0.78), openingMetres: 0 },
        { pose: down(...to, 0.78), openingMetres: 0.04 },
      ];
      const legs = [...pickAndPlace([0, 0], [0.05, -0.1]), ...pickAndPlace([0.05, -0.1], [0, 0])];
      let leg = 0;
      let grasps = 0;
      let legSteps = 0;
      let wasHeld = false;
      const rates: number[] = [];
      for (let run = 0; run < 12; run++) {
        const t0 = performance.now();
        for (let i = 0; i < STEPS_PER_RUN; i += 50) {
          // Next leg once the hand has arrived and the fingers had 0.5 s to move.
          if (world.handAtTarget() && legSteps >= 250) {
            world.setHandTarget(legs[leg % legs.length].pose);
            world.setFingerOpening(legs[leg % legs.length].openingMetres);
            leg++;
            legSteps = 0;
          }
          world.step(50);
          legSteps += 50;
          const held = world.heldBody() !== null;
          if (held && !wasHeld) grasps++;
          wasHeld = held;
        }
        const ms = performance.now() - t0;
        if (run >= 2) rates.push((STEPS_PER_RUN / ms) * 1000);
      }
      world.dispose();
      return [
        {
          name: 'physics/steps-per-s/tabletop',
          median: median(rates),
          unit: 'per_s',
          runs: rates.length,
          min: Math.min(...rates),
          max: Math.max(...rates),
          bodies: scene.bodies.length,
          timestepSec: world.timestepSec,
          realtimeFactor: median(rates) * world.timestepSec,
          engine: 'mujoco-js 0.0.7',
          grasps,
        },
        create,
      ];
    },
  },
];
