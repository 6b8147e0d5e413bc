import { describe, expect, it } from 'vitest';
import { PeractError, type Pose } from '../../core/index.js';
import type { BodySpec, SceneSpec } from '../../sim/scene.js';
import { createPhysicsWorld, GRIPPER_BODY_NAMES, type PhysicsWorld } from '../../sim/physics/index.js';

const IDENTITY: Pose['quaternion'] = [0, 0, 0, 1];
/** Hand pointing down (+z of the hand = -z world): 180 degrees about x. Fingers slide along world y. */
const down = (x: number, y: number, z: number): Pose => ({ positionMetres: [x, y, z], quaternion: [1, 0, 0, 0] });
const TABLE_TOP_Z = 0.75;

const table: BodySpec = {
  name: 'table',
  objectId: 1,
  motion: 'fixed',
  pose: { positionMetres: [0, 0, TABLE_TOP_Z / 2], quaternion: IDENTITY },
  geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.5, 0.5, TABLE_TOP_Z / 2] }, colour: [0.6, 0.6, 0.6] }],
};

function block(name: string, x: number, y: number, z: number, graspable = false): BodySpec {
  return {
    name,
    objectId: 2,
    motion: 'free',
    graspable,
    massKg: 0.1,
    pose: { positionMetres: [x, y, z], quaternion: IDENTITY },
    geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.02, 0.02, 0.02] }, colour: [1, 0, 0] }],
  };
}

/** Steps until the hand reaches its target (bounded), then `extra` more steps. */
function moveHand(world: PhysicsWorld, pose: Pose, extra = 50): void {
  world.setHandTarget(pose);
  for (let i = 0; i < 2000 && !world.handAtTarget(); i++) world.step(5);
  expect(world.handAtTarget()).toBe(true);
  world.step(extra);
}

async function expectFieldError(scene: SceneSpec, field: string): Promise<void> {
  const err = await createPhysicsWorld(scene).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PeractError);
  expect((err as PeractError).code).toBe('INVALID_ARGUMENT');
  expect((err as PeractError).field).toBe(field);
}

describe('physics world (MuJoCo)', () => {
  it('drops a box onto the table where it comes to rest at the right height', async () => {
    const world = await createPhysicsWorld({ bodies: [table, block('box', 0.1, -0.05, 0.9)] });
    expect(world.timestepSec).toBe(0.002);
    world.step(750);
    const pose = world.bodyPose('box');
    expect(Math.abs(pose.positionMetres[2] - (TABLE_TOP_Z + 0.02))).toBeLessThan(0.002);
    expect(Math.abs(pose.positionMetres[0] - 0.1)).toBeLessThan(1e-3);
    expect(pose.quaternion[3]).toBeGreaterThan(0.9999);
    expect(world.contacts()).toEqual([{ a: 'box', b: 'table' }]);
    expect(world.timeSec).toBeCloseTo(1.5, 9);
    world.dispose();
    expect(() => world.step()).toThrow(PeractError);
  });

  it('replays bit for bit after restoreState, and observing does not perturb the run', async () => {
    const scene = { bodies: [table, block('a', 0, 0, 0.8, true), block('b', 0.03, 0.01, 0.86), block('c', -0.1, 0.1, 0.77)] };
    const run = (world: PhysicsWorld, observe: boolean): number[] => {
      const trace: number[] = [];
      world.setHandTarget(down(0, 0, 0.775));
      for (let i = 0; i < 60; i++) {
        if (i === 30) world.setFingerOpening(0);
        world.step(5);
        if (observe) {
          world.contacts();
          world.bodyPose('c');
        }
      }
      world.setHandTarget(down(0.05, 0, 0.9));
      world.step(150);
      for (const name of world.bodyNames()) trace.push(...world.bodyPose(name).positionMetres, ...world.bodyPose(name).quaternion);
      trace.push(...world.handPose().positionMetres, ...world.fingerOpenings());
      return trace;
    };

    const world = await createPhysicsWorld(scene);
    world.step(100);
    const saved = world.saveState();
    const first = run(world, true);
    const afterFirst = world.saveState();
    world.restoreState(saved);
    const second = run(world, false);
    expect(second).toEqual(first); // toEqual on numbers is Object.is: bit-identical
    expect(world.saveState()).toEqual(afterFirst);

    // A fresh world given the same inputs lands in the same state.
    const twin = await createPhysicsWorld(scene);
    twin.step(100);
    expect(twin.saveState()).toEqual(saved);
    expect(() => world.restoreState(new Float64Array(3))).toThrow(/state/);
    world.dispose();
    twin.dispose();
  });

  it('pushes a free block sideways with the closed fingers', async () => {
    const world = await createPhysicsWorld(
      { bodies: [table, block('block', 0, 0, 0.77)] },
      { initialHandPose: down(-0.1, 0, 0.775), initialFingerOpeningMetres: 0 },
    );
    world.step(50);
    moveHand(world, down(0.1, 0, 0.775), 100);
    const p = world.bodyPose('block').positionMetres;
    // The fingers' front face ends at x = 0.11, so the block's centre is pushed to >= 0.13.
    expect(p[0]).toBeGreaterThan(0.125);
    expect(Math.abs(p[1])).toBeLessThan(0.01);
    expect(Math.abs(p[2] - 0.77)).toBeLessThan(0.002);
    expect(world.heldBody()).toBeNull();
    world.dispose();
  });

  it('presses a spring-loaded prismatic button, which springs back when released', async () => {
    const scene: SceneSpec = {
      bodies: [
        table,
        {
          name: 'base',
          objectId: 3,
          motion: 'fixed',
          pose: { positionMetres: [0.2, 0, 0.76], quaternion: IDENTITY },
          geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.04, 0.04, 0.01] }, colour: [0.2, 0.2, 0.2] }],
        },
        {
          name: 'button',
          objectId: 4,
          motion: 'jointed',
          parent: 'base',
          massKg: 0.02,
          pose: { positionMetres: [0, 0, 0.02], quaternion: IDENTITY }, // top face at z = 0.79
          joint: { type: 'prismatic', axis: [0, 0, 1], range: [-0.015, 0], stiffness: 200, damping: 1 },
          geoms: [{ shape: { kind: 'cylinder', radiusMetres: 0.02, halfHeightMetres: 0.01 }, colour: [1, 0, 0] }],
        },
      ],
    };
    const world = await createPhysicsWorld(scene, { initialHandPose: down(0.2, 0, 0.85), initialFingerOpeningMetres: 0 });
    world.step(100);
    const rest = world.jointValue('button');
    expect(rest).toBeGreaterThan(-0.002); // sags by m g / k = 1 mm
    moveHand(world, down(0.2, 0, 0.79)); // fingertips 10 mm below the button's top
    expect(world.jointValue('button')).toBeLessThan(-0.008);
    const touching = world.contacts().filter((c) => c.a === 'button' || c.b === 'button');
    expect(touching.map((c) => (c.a === 'button' ? c.b : c.a)).sort()).toEqual([
      GRIPPER_BODY_NAMES.leftFinger,
      GRIPPER_BODY_NAMES.rightFinger,
    ]);
    moveHand(world, down(0.2, 0, 0.85), 250);
    expect(world.jointValue('button')).toBeCloseTo(rest, 4);
    expect(() => world.jointValue('base')).toThrow(/bodyName/);
    world.dispose();
  });

  it('grasps a graspable block when the fingers close on it, lifts it, and drops it when opened', async () => {
    const world = await createPhysicsWorld({ bodies: [table, block('cube', 0, 0, 0.77, true), block('other', 0.2, 0, 0.77)] }, {
      initialHandPose: down(0, 0, 0.9),
    });
    moveHand(world, down(0, 0, 0.775));
    expect(world.heldBody()).toBeNull();
    world.setFingerOpening(0);
    world.step(250);
    expect(world.heldBody()).toBe('cube');
    const [left, right] = world.fingerOpenings();
    // Stalled on the 4 cm cube, sinking < 1 mm into it under the 30 N pinch.
    expect(left).toBeGreaterThan(0.019);
    expect(right).toBeGreaterThan(0.019);

    moveHand(world, down(0.05, 0, 0.95));
    const carried = world.bodyPose('cube').positionMetres;
    expect(carried[0]).toBeCloseTo(0.05, 2);
    expect(Math.abs(carried[2] - (0.95 - 0.005))).toBeLessThan(0.002); // grasped 5 mm below the tool point
    expect(world.bodyPose('other').positionMetres[0]).toBeCloseTo(0.2, 4);

    world.setFingerOpening(0.04);
    expect(world.heldBody()).toBeNull();
    world.step(500);
    const dropped = world.bodyPose('cube').positionMetres;
    expect(Math.abs(dropped[2] - 0.77)).toBeLessThan(0.002);
    expect(dropped[0]).toBeCloseTo(0.05, 2);
    world.dispose();
  });

  it('does not grasp a block touched only by the fingertips of a closed gripper', async () => {
    const world = await createPhysicsWorld({ bodies: [table, block('cube', 0, 0, 0.77, true)] }, { initialHandPose: down(0, 0, 0.85) });
    world.setFingerOpening(0);
    moveHand(world, down(0, 0, 0.797)); // fingertips 3 mm into the cube's top
    expect(world.contacts().some((c) => c.a === 'cube' && c.b.startsWith('gripper/'))).toBe(true);
    expect(world.heldBody()).toBeNull();
    world.dispose();
  });

  it('opens a drawer by pulling its grasped handle', async () => {
    // Hand approaching along +x (its +z), fingers along world y: a quarter turn about y.
    const front = (x: number): Pose => ({ positionMetres: [x, 0, 0.85], quaternion: [0, Math.SQRT1_2, 0, Math.SQRT1_2] });
    const scene: SceneSpec = {
      bodies: [
        {
          name: 'cabinet',
          objectId: 1,
          motion: 'fixed',
          pose: { positionMetres: [0.3, 0, 0.85], quaternion: IDENTITY },
          geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.1, 0.15, 0.1] }, colour: [0.5, 0.3, 0.1] }],
        },
        {
          name: 'drawer',
          objectId: 2,
          motion: 'jointed',
          parent: 'cabinet',
          massKg: 0.5,
          pose: { positionMetres: [0, 0, 0], quaternion: IDENTITY },
          joint: { type: 'prismatic', axis: [-1, 0, 0], range: [0, 0.15], damping: 2 },
          geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.09, 0.13, 0.05] }, colour: [0.6, 0.4, 0.2] }],
        },
        {
          name: 'handle',
          objectId: 3,
          motion: 'fixed',
          parent: 'drawer',
          graspable: true,
          pose: { positionMetres: [-0.12, 0, 0], quaternion: IDENTITY },
          geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.01, 0.01, 0.03] }, colour: [0.1, 0.1, 0.1] }],
        },
      ],
    };
    const world = await createPhysicsWorld(scene, { initialHandPose: front(0.05) });
    moveHand(world, front(0.18));
    expect(world.jointValue('drawer')).toBeCloseTo(0, 4);
    world.setFingerOpening(0);
    world.step(200);
    expect(world.heldBody()).toBe('handle');
    moveHand(world, front(0.08));
    expect(world.jointValue('drawer')).toBeCloseTo(0.1, 2);
    const handle = world.bodyPose('handle').positionMetres;
    expect(handle[1]).toBeCloseTo(0, 3); // moved along the joint only
    expect(handle[2]).toBeCloseTo(0.85, 3);
    world.setFingerOpening(0.04);
    world.step(200);
    expect(world.heldBody()).toBeNull();
    expect(world.jointValue('drawer')).toBeCloseTo(0.1, 2);
    world.dispose();
  });

  it('rejects bad scene specs with errors naming the field', async () => {
    const box = block('box', 0, 0, 0.8);
    await expectFieldError({ bodies: [table, box, { ...box }] }, 'scene.bodies[2].name');
    await expectFieldError({ bodies: [{ ...box, motion: 'fixed', parent: 'nowhere' }] }, 'scene.bodies[0].parent');
    await expectFieldError({ bodies: [table, { ...box, parent: 'table' }] }, 'scene.bodies[1].parent'); // free with a parent
    const jointed: BodySpec = {
      ...box,
      motion: 'jointed',
      joint: { type: 'prismatic', axis: [0, 0, 1], range: [0.1, -0.1] },
    };
    await expectFieldError({ bodies: [jointed] }, 'scene.bodies[0].joint.range');
    await expectFieldError({ bodies: [{ ...jointed, joint: { type: 'revolute', axis: [0, 0, 1], range: [0.1, 0.5] } }] }, 'scene.bodies[0].joint.range');
    await expectFieldError({ bodies: [{ ...jointed, joint: { type: 'revolute', axis: [0, 0, 0], range: [-1, 1] } }] }, 'scene.bodies[0].joint.axis');
    await expectFieldError({ bodies: [{ ...box, motion: 'jointed' }] }, 'scene.bodies[0].joint');
    await expectFieldError(
      { bodies: [{ ...box, geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.02, 0, 0.02] }, colour: [1, 0, 0] }] }] },
      'scene.bodies[0].geoms[0].shape.halfExtentsMetres[1]',
    );
    await expectFieldError(
      { bodies: [{ ...box, geoms: [{ shape: { kind: 'sphere', radiusMetres: -1 }, colour: [1, 0, 0] }] }] },
      'scene.bodies[0].geoms[0].shape.radiusMetres',
    );
    await expectFieldError({ bodies: [{ ...box, massKg: 0 }] }, 'scene.bodies[0].massKg');
    await expectFieldError({ bodies: [{ ...table, graspable: true }] }, 'scene.bodies[0].graspable');
    await expectFieldError({ bodies: [{ ...box, name: 'gripper/x' }] }, 'scene.bodies[0].name');
    await expectFieldError(
      {
        bodies: [
          { ...table, name: 'p', parent: 'q' },
          { ...table, name: 'q', parent: 'p' },
        ],
      },
      'scene.bodies[0].parent',
    );
  });

  it('validates its arguments', async () => {
    await expect(createPhysicsWorld({ bodies: [] }, { timestepSec: 0.1 })).rejects.toThrow(/options.timestepSec/);
    const world = await createPhysicsWorld({ bodies: [table] });
    expect(() => world.setFingerOpening(0.05)).toThrow(/metresEach/);
    expect(() => world.bodyPose('ghost')).toThrow(PeractError);
    expect(() => world.setHandTarget({ positionMetres: [0, 0, Number.NaN], quaternion: IDENTITY })).toThrow(/pose.positionMetres/);
    expect(() => world.step(0)).toThrow(/\bn\b/);
    world.dispose();
  });
});
