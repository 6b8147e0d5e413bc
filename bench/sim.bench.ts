import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemos, runExpert } from '../sim/demos.js';
import { SimEnv } from '../sim/sim-env.js';
import { TASK_NAMES } from '../sim/tasks/index.js';
import { median, type Benchmark, type Figure } from './harness.js';

/**
 * Simulator figures per task: expert success rate, demonstrations per minute (rendering and
 * PNG writing included) and raw physics speed. `npx tsx bench/run.ts sim` runs them all;
 * `sim/expert-success`, `sim/demos-per-minute/pick_and_lift` etc. pick some.
 * PERACT_BENCH_SEEDS (default 100) sets how many seeds the success rate runs over.
 */

const SEEDS = benchSeeds();
/** Episodes timed per task for demos per minute. */
const DEMO_EPISODES = 5;
/** A seed block no test or default dataset uses. */
const DEMO_SEED = 7;
const PHYSICS_STEPS_PER_RUN = 2000;
const PHYSICS_RUNS = 10;

function benchSeeds(): number {
  const raw = process.env.PERACT_BENCH_SEEDS;
  if (raw === undefined || raw === '') return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`PERACT_BENCH_SEEDS must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Seeds 0..SEEDS-1: the episodes `peract demos --seed 0` draws from. */
async function expertSuccess(task: string): Promise<Figure[]> {
  const env = new SimEnv();
  const failures: { seed: number; reason: string }[] = [];
  const seconds: number[] = [];
  try {
    for (let seed = 0; seed < SEEDS; seed++) {
      const t0 = performance.now();
      await env.reset({ task, seed });
      const run = await runExpert(env);
      seconds.push((performance.now() - t0) / 1000);
      if (!run.success) failures.push({ seed, reason: run.failureReason ?? 'unknown' });
    }
  } finally {
    await env.close();
  }
  return [
    {
      name: `sim/expert-success/${task}`,
      median: (100 * (SEEDS - failures.length)) / SEEDS,
      unit: 'percent',
      runs: SEEDS,
      failures: failures.length,
      failedSeeds: failures.slice(0, 10),
      medianEpisodeSeconds: median(seconds),
      target: 98,
    },
  ];
}

async function demosPerMinute(task: string): Promise<Figure[]> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'peract-bench-demos-'));
  try {
    const episodeSeconds: number[] = [];
    const summary = await generateDemos({
      dir,
      tasks: [task],
      episodes: DEMO_EPISODES,
      seed: DEMO_SEED,
      onProgress: (e) => {
        if (e.status === 'written') episodeSeconds.push(e.seconds);
      },
    });
    const rates = episodeSeconds.map((s) => 1 / s);
    const bytes = await folderBytes(dir);
    return [
      {
        name: `sim/demos-per-minute/${task}`,
        // The median episode, since the first of a process also loads MuJoCo.
        median: 60 * median(rates),
        unit: 'per_min',
        runs: rates.length,
        min: 60 * Math.min(...rates),
        max: 60 * Math.max(...rates),
        overallPerMinute: (summary.written * 60) / summary.tasks[0].seconds,
        expertFailures: summary.expertFailures,
        megabytesPerEpisode: bytes / 1e6 / Math.max(1, summary.written),
        ...(task === 'pick_and_lift' ? { targetPerMinute: 20 } : {}),
      },
    ];
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function physicsStepsPerSecond(task: string): Promise<Figure[]> {
  const env = new SimEnv();
  try {
    await env.reset({ task, seed: 0 });
    const world = env.physics;
    world.step(500);
    const rates: number[] = [];
    for (let run = 0; run < PHYSICS_RUNS; run++) {
      const t0 = performance.now();
      world.step(PHYSICS_STEPS_PER_RUN);
      rates.push((PHYSICS_STEPS_PER_RUN / (performance.now() - t0)) * 1000);
    }
    return [
      {
        name: `sim/physics-steps-per-s/${task}`,
        median: median(rates),
        unit: 'per_s',
        runs: rates.length,
        min: Math.min(...rates),
        max: Math.max(...rates),
        bodies: env.sceneSpec.bodies.length,
        timestepSec: world.timestepSec,
        realtimeFactor: median(rates) * world.timestepSec,
        note: 'task scene at rest after reset, hand idle',
      },
    ];
  } finally {
    await env.close();
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export const benchmarks: Benchmark[] = [
  ...TASK_NAMES.map((task) => ({ name: `sim/physics-steps-per-s/${task}`, run: () => physicsStepsPerSecond(task) })),
  ...TASK_NAMES.map((task) => ({ name: `sim/demos-per-minute/${task}`, run: () => demosPerMinute(task) })),
  ...TASK_NAMES.map((task) => ({ name: `sim/expert-success/${task}`, run: () => expertSuccess(task) })),
];
