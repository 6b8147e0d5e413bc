import { describe, expect, it } from 'vitest';
import { Group, Mesh } from 'three';
import { PeractError, Rng, quaternionAngle, rotateVector, type Pose, type Vec3 } from '../../core/index.js';
import type { SceneSpec } from '../../sim/scene.js';
import {
  PANDA_HOME_Q,
  PANDA_JOINT_LOWER_RAD,
  PANDA_JOINT_UPPER_RAD,
  ROBOT_ARM_OBJECT_ID,
  ROBOT_GRIPPER_OBJECT_ID,
  RobotCollisionChecker,
  boxObstacle,
  createArmMeshes,
  cylinderObstacle,
  forwardKinematics,
  obstaclesFromScene,
  planToAction,
  robotCollisions,
  solveIk,
  sphereObstacle,
  toolJacobian,
  updateArmMeshes,
  withinJointLimits,
} from '../../sim/robot/index.js';

const DOWN: Pose['quaternion'] = [1, 0, 0, 0];
const ZERO_Q = [0, 0, 0, 0, 0, 0, 0];

function pose(p: Vec3, q: Pose['quaternion'] = DOWN): Pose {
  return { positionMetres: p, quaternion: q };
}

function dist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

function randomInLimits(rng: Rng): number[] {
  return PANDA_JOINT_LOWER_RAD.map((lo, i) => rng.uniform(lo, PANDA_JOINT_UPPER_RAD[i]));
}

// A table whose top is the plane z = 0, under the whole workspace.
const table = boxObstacle('table', pose([0.3, 0, -0.02], [0, 0, 0, 1]), [0.8, 0.8, 0.02]);

describe('Panda forward kinematics', () => {
  it('puts the q = 0 flange at x = 0.088, z = 0.926 pointing down (DH facts)', () => {
    const fk = forwardKinematics(ZERO_Q);
    expect(fk.flangePose.positionMetres[0]).toBeCloseTo(0.088, 9);
    expect(fk.flangePose.positionMetres[1]).toBeCloseTo(0, 9);
    expect(fk.flangePose.positionMetres[2]).toBeCloseTo(0.333 + 0.316 + 0.384 - 0.107, 9);
    const z = rotateVector(fk.flangePose.quaternion, [0, 0, 1]);
    expect(z[2]).toBeCloseTo(-1, 9);
    // Joint 2 sits at the shoulder, 0.333 m up; joint 4 at the elbow offset.
    expect(fk.linkPoses[2].positionMetres).toEqual([0, 0, 0.333]);
    expect(fk.linkPoses[4].positionMetres[0]).toBeCloseTo(0.0825, 9);
    expect(fk.linkPoses[4].positionMetres[2]).toBeCloseTo(0.649, 9);
    // TCP 0.1034 m beyond the flange along its z; fingers (tool y) rotated -45 deg from flange y.
    expect(fk.toolPose.positionMetres[2]).toBeCloseTo(0.926 - 0.1034, 9);
    const toolY = rotateVector(fk.toolPose.quaternion, [0, 1, 0]);
    const flangeY = rotateVector(fk.flangePose.quaternion, [0, 1, 0]);
    expect(toolY[0] * flangeY[0] + toolY[1] * flangeY[1] + toolY[2] * flangeY[2]).toBeCloseTo(Math.cos(Math.PI / 4), 9);
  });

  it('home configuration: flange at the known ready pose, gripper down, fingers along world y', () => {
    const fk = forwardKinematics([...PANDA_HOME_Q]);
    expect(dist(fk.flangePose.positionMetres, [0.307, 0, 0.5903])).toBeLessThan(1e-3);
    expect(rotateVector(fk.toolPose.quaternion, [0, 0, 1])[2]).toBeCloseTo(-1, 5);
    expect(Math.abs(rotateVector(fk.toolPose.quaternion, [0, 1, 0])[1])).toBeCloseTo(1, 3);
  });

  it('honours a base offset pose', () => {
    const base = pose([1, 2, 0.75], [0, 0, Math.sin(Math.PI / 4), Math.cos(Math.PI / 4)]);
    const fk = forwardKinematics(ZERO_Q, { basePose: base });
    expect(dist(fk.flangePose.positionMetres, [1, 2.088, 0.75 + 0.926])).toBeLessThan(1e-9);
  });

  it('geometric Jacobian matches finite differences', () => {
    const rng = new Rng(3);
    const h = 1e-6;
    for (let trial = 0; trial < 5; trial++) {
      const q = randomInLimits(rng);
      const j = toolJacobian(q);
      const p0 = forwardKinematics(q).toolPose;
      for (let k = 0; k < 7; k++) {
        const qp = q.slice();
        qp[k] += h;
        const p1 = forwardKinematics(qp).toolPose;
        for (let r = 0; r < 3; r++) expect(j[r][k]).toBeCloseTo((p1.positionMetres[r] - p0.positionMetres[r]) / h, 4);
        // Angular velocity from the quaternion difference: dq * conj(q0) ~ [w/2 h, 1].
        const [ax, ay, az, aw] = p1.quaternion;
        const [bx, by, bz, bw] = p0.quaternion;
        const s = ax * bx + ay * by + az * bz + aw * bw < 0 ? -1 : 1;
        const ex = s * (-aw * bx + ax * bw - ay * bz + az * by);
        const ey = s * (-aw * by + ay * bw - az * bx + ax * bz);
        const ez = s * (-aw * bz + az * bw - ax * by + ay * bx);
        expect(j[3][k]).toBeCloseTo((2 * ex) / h, 4);
        expect(j[4][k]).toBeCloseTo((2 * ey) / h, 4);
        expect(j[5][k]).toBeCloseTo((2 * ez) / h, 4);
      }
    }
  });

  it('rejects malformed joint vectors naming the field', () => {
    expect(() => forwardKinematics([0, 0, 0])).toThrow(/q: must have 7 elements/);
    expect(() => forwardKinematics([0, 0, 0, Number.NaN, 0, 0, 0])).toThrow(/q\[3\]/);
  });
});

describe('Panda IK', () => {
  it('reaches >= 95 % of random reachable poses within 1 mm / 0.01 rad, inside the joint limits', () => {
    const rng = new Rng(11);
    const n = 200;
    let solved = 0;
    for (let i = 0; i < n; i++) {
      const target = forwardKinematics(randomInLimits(rng)).toolPose;
      const r = solveIk(target, { seedQ: [...PANDA_HOME_Q] });
      if (!r.ok) continue;
      solved++;
      expect(withinJointLimits(r.q)).toBe(true);
      const got = forwardKinematics(r.q).toolPose;
      expect(dist(got.positionMetres, target.positionMetres)).toBeLessThanOrEqual(1e-3);
      expect(quaternionAngle(got.quaternion, target.quaternion)).toBeLessThanOrEqual(0.01 + 1e-9);
    }
    expect(solved / n).toBeGreaterThanOrEqual(0.95);
  });

  it('is deterministic', () => {
    const target = pose([0.5, 0.2, 0.3]);
    const a = solveIk(target, { seedQ: ZERO_Q });
    const b = solveIk(target, { seedQ: ZERO_Q });
    expect(a).toEqual(b);
    expect(a.ok).toBe(true);
  });

  it('reports a pose 2 m away as out of reach without throwing', () => {
    const r = solveIk(pose([2, 0, 0.5]));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('out-of-reach');
  });

  it('reports an in-range but impossible pose (pointing up under the base) as not converged', () => {
    const r = solveIk(pose([0, 0, 0.05], [0, 0, 0, 1]), { restarts: 2 });
    expect(r.ok).toBe(false);
  });

  it('throws INVALID_ARGUMENT for a malformed target', () => {
    expect(() => solveIk({ positionMetres: [0, Number.POSITIVE_INFINITY, 0], quaternion: DOWN })).toThrow(PeractError);
    expect(() => solveIk(pose([0.4, 0, 0.3]), { seedQ: [0, 0] })).toThrow(/options\.seedQ/);
  });
});

describe('collision geometry', () => {
  it('finds the arm in a sphere placed on a link and not in one far away', () => {
    const fk = forwardKinematics([...PANDA_HOME_Q]);
    const elbow = fk.linkPoses[4].positionMetres;
    expect(robotCollisions([...PANDA_HOME_Q], [sphereObstacle('ball', elbow, 0.03)]).map((p) => p.bodyName)).toContain('ball');
    expect(robotCollisions([...PANDA_HOME_Q], [sphereObstacle('ball', [0.8, 0.8, 0.2], 0.05)])).toEqual([]);
  });

  it('sees the fingers in a box and a cylinder at the TCP, and the held object', () => {
    const tcp = forwardKinematics([...PANDA_HOME_Q]).toolPose.positionMetres;
    const box = boxObstacle('cube', pose(tcp, [0, 0, 0, 1]), [0.01, 0.01, 0.01]);
    // Open fingers straddle a 2 cm cube at the TCP; closed fingers hit it.
    expect(robotCollisions([...PANDA_HOME_Q], [box], { fingerOpeningMetres: 0.04 })).toEqual([]);
    expect(robotCollisions([...PANDA_HOME_Q], [box], { fingerOpeningMetres: 0.005 }).length).toBeGreaterThan(0);
    const cyl = cylinderObstacle('can', pose([tcp[0], tcp[1], tcp[2] - 0.08], [0, 0, 0, 1]), 0.03, 0.05);
    expect(robotCollisions([...PANDA_HOME_Q], [cyl])).toEqual([]);
    const held = { poseInTool: pose([0, 0, 0.03], [0, 0, 0, 1]), halfExtentsMetres: [0.02, 0.02, 0.04] as Vec3 };
    expect(robotCollisions([...PANDA_HOME_Q], [cyl], { heldObject: held }).map((p) => p.part)).toContain('held');
  });

  it('builds obstacles from a scene, composing body, parent and geom poses and skipping excluded bodies', () => {
    const scene: SceneSpec = {
      bodies: [
        { name: 'table', objectId: 1, motion: 'fixed', pose: pose([0.3, 0, -0.02], [0, 0, 0, 1]), geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.8, 0.8, 0.02] }, colour: [1, 1, 1] }] },
        {
          name: 'jar', objectId: 2, motion: 'fixed', parent: 'table', pose: pose([0.1, 0, 0.12], [0, 0, 0, 1]),
          geoms: [
            { shape: { kind: 'cylinder', radiusMetres: 0.04, halfHeightMetres: 0.1 }, localPose: pose([0, 0.05, 0], [0, 0, 0, 1]), colour: [1, 0, 0] },
            { shape: { kind: 'box', halfExtentsMetres: [0.1, 0.1, 0.001] }, colour: [0, 1, 0], collides: false },
          ],
        },
        { name: 'cube', objectId: 3, motion: 'free', pose: pose([0.5, 0, 0.02], [0, 0, 0, 1]), geoms: [{ shape: { kind: 'sphere', radiusMetres: 0.02 }, colour: [0, 0, 1] }] },
      ],
    };
    const live = new Map<string, Pose>([['cube', pose([0.6, 0.1, 0.02], [0, 0, 0, 1])]]);
    const obstacles = obstaclesFromScene(scene, live, new Set(['cube']));
    expect(obstacles.map((o) => o.bodyName)).toEqual(['table', 'jar']);
    expect(dist(obstacles[1].centreMetres, [0.4, 0.05, 0.1])).toBeLessThan(1e-9);
    expect(obstaclesFromScene(scene, live, new Set()).find((o) => o.bodyName === 'cube')?.centreMetres).toEqual([0.6, 0.1, 0.02]);
  });

  it('keeps the home arm clear of a table at z = 0', () => {
    expect(new RobotCollisionChecker([table]).collisions([...PANDA_HOME_Q])).toEqual([]);
  });
});

function maxJointStep(path: number[][]): number {
  let m = 0;
  for (let i = 1; i < path.length; i++) for (let k = 0; k < 7; k++) m = Math.max(m, Math.abs(path[i][k] - path[i - 1][k]));
  return m;
}

function maxToolStep(path: number[][]): number {
  let m = 0;
  let prev = forwardKinematics(path[0]).toolPose.positionMetres;
  for (let i = 1; i < path.length; i++) {
    const p = forwardKinematics(path[i]).toolPose.positionMetres;
    m = Math.max(m, dist(p, prev));
    prev = p;
  }
  return m;
}

describe('planner', () => {
  const startTarget = pose([0.45, -0.25, 0.15]);
  const start = solveIk(startTarget, { seedQ: [...PANDA_HOME_Q] });
  if (!start.ok) throw new Error('test setup: start IK failed');
  const qStart = start.q;
  const goal = pose([0.45, 0.25, 0.15]);
  const wall = boxObstacle('wall', pose([0.45, 0, 0.15], [0, 0, 0, 1]), [0.06, 0.05, 0.15]);

  it('goes straight when the way is free, in small steps, ending at the goal', () => {
    const r = planToAction(qStart, goal, { ignoreCollisions: false, obstacles: [table] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.strategy).toBe('straight');
    expect(r.path[0]).toEqual(qStart);
    expect(maxJointStep(r.path)).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(maxToolStep(r.path)).toBeLessThanOrEqual(0.0125);
    const end = forwardKinematics(r.path[r.path.length - 1]).toolPose;
    expect(dist(end.positionMetres, goal.positionMetres)).toBeLessThanOrEqual(1e-3);
    // Straight: every waypoint's TCP stays on the segment's line (y varies, x and z constant).
    for (const q of r.path) {
      const p = forwardKinematics(q).toolPose.positionMetres;
      expect(Math.abs(p[0] - 0.45) + Math.abs(p[2] - 0.15)).toBeLessThan(0.004);
    }
  });

  it('routes up, across and down over a tall box between start and goal', () => {
    const r = planToAction(qStart, goal, { ignoreCollisions: false, obstacles: [table, wall] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.strategy).toBe('up-across-down');
    const checker = new RobotCollisionChecker([table, wall]);
    let topZ = 0;
    for (const q of r.path) {
      expect(checker.collisions(q)).toEqual([]);
      topZ = Math.max(topZ, forwardKinematics(q).toolPose.positionMetres[2]);
    }
    expect(topZ).toBeGreaterThan(0.3);
    expect(maxJointStep(r.path)).toBeLessThanOrEqual(0.05 + 1e-9);
    const end = forwardKinematics(r.path[r.path.length - 1]).toolPose;
    expect(dist(end.positionMetres, goal.positionMetres)).toBeLessThanOrEqual(1e-3);
  });

  it('goes straight through the box when collisions are ignored', () => {
    const r = planToAction(qStart, goal, { ignoreCollisions: true, obstacles: [table, wall] });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.strategy).toBe('straight');
  });

  it('fails cleanly with reason collision when the goal is inside an obstacle', () => {
    const r = planToAction(qStart, pose([0.45, 0, 0.15]), { ignoreCollisions: false, obstacles: [table, wall] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe('collision');
      expect(r.detail).toMatch(/wall/);
    }
  });

  it('reports an unreachable goal', () => {
    const r = planToAction(qStart, pose([2, 0, 0.3]), { ignoreCollisions: true });
    expect(r).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('checks a held object against obstacles', () => {
    // A low block the empty gripper clears (fingertips at z = 0.14) but a bar hanging below the
    // TCP (bottom at z = 0.04) would hit: the held object forces the detour.
    const block = boxObstacle('block', pose([0.45, 0, 0.04], [0, 0, 0, 1]), [0.05, 0.05, 0.04]);
    const held = { poseInTool: pose([0, 0, 0.05], [0, 0, 0, 1]), halfExtentsMetres: [0.02, 0.02, 0.06] as Vec3 };
    const free = planToAction(qStart, goal, { ignoreCollisions: false, obstacles: [table, block] });
    expect(free).toMatchObject({ ok: true, strategy: 'straight' });
    const carried = planToAction(qStart, goal, { ignoreCollisions: false, obstacles: [table, block], heldObject: held });
    expect(carried).toMatchObject({ ok: true, strategy: 'up-across-down' });
    // Lowering the bar into the table at the goal is a collision.
    const blocked = planToAction(qStart, pose([0.45, 0.25, 0.1]), { ignoreCollisions: false, obstacles: [table], heldObject: held });
    expect(blocked).toMatchObject({ ok: false, reason: 'collision' });
    if (!blocked.ok) expect(blocked.detail).toMatch(/held vs table/);
  });

  it('tolerates contacts present at the start until they separate (lifting a held object off the table)', () => {
    const held = { poseInTool: pose([0, 0, 0.05], [0, 0, 0, 1]), halfExtentsMetres: [0.02, 0.02, 0.06] as Vec3 };
    // Bar bottom at z = 0.1 - 0.11 = -0.01: resting slightly in the table at the start.
    const low = solveIk(pose([0.45, -0.25, 0.1]), { seedQ: qStart });
    expect(low.ok).toBe(true);
    if (!low.ok) return;
    const r = planToAction(low.q, pose([0.45, -0.25, 0.3]), { ignoreCollisions: false, obstacles: [table], heldObject: held });
    expect(r).toMatchObject({ ok: true, strategy: 'straight' });
  });

  it('throws typed errors for malformed input, naming the field', () => {
    expect(() => planToAction([0, 0, 0, 0, 0, 0], goal, { ignoreCollisions: true })).toThrow(/^q: must have 7/);
    expect(() => planToAction(qStart, pose([0.4, Number.NaN, 0.2]), { ignoreCollisions: true })).toThrow(/target\.positionMetres\[1\]/);
    expect(() => planToAction(qStart, goal, { ignoreCollisions: false, maxStepMetres: -1 })).toThrow(/options\.maxStepMetres/);
  });
});

describe('arm meshes', () => {
  it('builds tagged meshes and follows the FK frames', () => {
    const arm = createArmMeshes();
    expect(arm.root).toBeInstanceOf(Group);
    const ids = new Set<number>();
    arm.root.traverse((o) => {
      if (o instanceof Mesh) ids.add(o.userData.objectId as number);
    });
    expect([...ids].sort()).toEqual([ROBOT_ARM_OBJECT_ID, ROBOT_GRIPPER_OBJECT_ID]);
    updateArmMeshes(arm, [...PANDA_HOME_Q], 0.02);
    const fk = forwardKinematics([...PANDA_HOME_Q]);
    const hand = arm.linkGroups[9];
    expect(dist(hand.getWorldPosition(hand.position.clone()).toArray(), fk.handPose.positionMetres)).toBeLessThan(1e-9);
    const left = arm.leftFinger.getWorldPosition(arm.leftFinger.position.clone());
    const right = arm.rightFinger.getWorldPosition(arm.rightFinger.position.clone());
    expect(left.distanceTo(right)).toBeCloseTo(2 * (0.02 + 0.01), 9);
    expect(() => updateArmMeshes(arm, [...PANDA_HOME_Q], 0.5)).toThrow(/fingerOpeningMetres/);
  });
});
