import { Rng, type Pose } from '../core/index.js';
import {
  PANDA_HOME_Q,
  PANDA_JOINT_LOWER_RAD,
  PANDA_JOINT_UPPER_RAD,
  boxObstacle,
  forwardKinematics,
  planToAction,
  solveIk,
} from '../sim/robot/index.js';
import { median, type Benchmark, type Figure } from './harness.js';

const DOWN: Pose['quaternion'] = [1, 0, 0, 0];

function randomTargets(count: number, seed: number): Pose[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () =>
    forwardKinematics(PANDA_JOINT_LOWER_RAD.map((lo, i) => rng.uniform(lo, PANDA_JOINT_UPPER_RAD[i]))).toolPose,
  );
}

function timeEach<T>(items: T[], fn: (item: T) => boolean): { times: number[]; okCount: number } {
  const times: number[] = [];
  let okCount = 0;
  for (const item of items) {
    const t0 = performance.now();
    if (fn(item)) okCount++;
    times.push(performance.now() - t0);
  }
  return { times, okCount };
}

function figure(name: string, times: number[], extra: Record<string, unknown>): Figure {
  return { name, median: median(times), unit: 'ms', runs: times.length, min: Math.min(...times), max: Math.max(...times), ...extra };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'robot/ik',
    run: () => {
      const home = [...PANDA_HOME_Q];
      // Warm-up so the figures measure JIT-compiled code.
      for (const t of randomTargets(50, 99)) solveIk(t, { seedQ: home });
      const targets = randomTargets(300, 7);
      const random = timeEach(targets, (t) => solveIk(t, { seedQ: home }).ok);
      // The planner's case: a nearby target seeded from a close configuration.
      const rng = new Rng(5);
      const local = targets.map((t): [Pose, number[]] => {
        const p = t.positionMetres;
        return [{ positionMetres: [p[0] + rng.uniform(-0.01, 0.01), p[1] + rng.uniform(-0.01, 0.01), p[2]], quaternion: t.quaternion }, home];
      });
      const seeds = targets.map((t) => solveIk(t, { seedQ: home }));
      const localTimes = timeEach(
        local.map((l, i) => [l[0], seeds[i].ok ? seeds[i].q : home] as [Pose, number[]]),
        ([t, q]) => solveIk(t, { seedQ: q, restarts: 0 }).ok,
      );
      return [
        figure('robot/ik-solve/random-pose-from-home', random.times, { successPercent: (100 * random.okCount) / targets.length }),
        figure('robot/ik-solve/1cm-step-warm-seed', localTimes.times, { successPercent: (100 * localTimes.okCount) / targets.length }),
      ];
    },
  },
  {
    name: 'robot/plan',
    run: () => {
      const table = boxObstacle('table', { positionMetres: [0.3, 0, -0.02], quaternion: [0, 0, 0, 1] }, [0.8, 0.8, 0.02]);
      const wall = boxObstacle('wall', { positionMetres: [0.45, 0, 0.15], quaternion: [0, 0, 0, 1] }, [0.06, 0.05, 0.15]);
      const start = solveIk({ positionMetres: [0.45, -0.25, 0.15], quaternion: DOWN }, { seedQ: [...PANDA_HOME_Q] });
      if (!start.ok) throw new Error('benchmark setup: start IK failed');
      const goal: Pose = { positionMetres: [0.45, 0.25, 0.15], quaternion: DOWN };
      const runs = 20;
      const cases: [string, () => boolean][] = [
        ['robot/plan/straight-50cm-free', () => planToAction(start.q, goal, { ignoreCollisions: false, obstacles: [table] }).ok],
        ['robot/plan/up-across-down-over-box', () => planToAction(start.q, goal, { ignoreCollisions: false, obstacles: [table, wall] }).ok],
        ['robot/plan/straight-ignore-collisions', () => planToAction(start.q, goal, { ignoreCollisions: true }).ok],
      ];
      return cases.map(([name, fn]) => {
        for (let i = 0; i < 3; i++) fn();
        const r = timeEach(Array.from({ length: runs }, (_, i) => i), () => fn());
        if (r.okCount !== runs) throw new Error(`${name}: planning failed`);
        return figure(name, r.times, {});
      });
    },
  },
];
