/**
 * What the action space allows: the simulator's scripted expert replayed keyframe by keyframe,
 * once exactly and once through the `cpu` preset's action codec (the position snapped to its
 * 48^3 voxel's centre, the rotation to 5-degree bins), which is what a perfect network's argmax
 * decodes to. A task the quantized expert fails cannot be solved by any model of this preset;
 * the gap between the two is the cost of the grid. Seeds 7000+ (outside the demo and eval
 * blocks); PERACT_ORACLE_EPISODES episodes a task (default 10). Other grids:
 * PERACT_ORACLE_GRID (voxels per axis, default 48) and PERACT_ORACLE_BOUNDS (six numbers,
 * default the agent's TABLETOP_BOUNDS).
 */
import { agentSpec, rollout, TABLETOP_BOUNDS } from '../agent/index.js';
import type { Observation, Policy, PolicyOutput } from '../core/index.js';
import { ActionCodec, checkBounds } from '../perception/index.js';
import { SimEnv, TASK_NAMES } from '../sim/index.js';
import type { Benchmark, Figure } from './harness.js';

/** The expert's next step from the current scene; with a codec, as its action code decodes. */
class ExpertReplay implements Policy {
  private k = 0;
  constructor(
    private readonly env: SimEnv,
    private readonly codec?: ActionCodec,
  ) {}

  async act(observation: Observation): Promise<PolicyOutput> {
    if (observation.step === 0) this.k = 0;
    const steps = this.env.expert();
    const action = steps[Math.min(this.k++, steps.length - 1)].action;
    return { action: this.codec ? this.codec.decode(this.codec.encode(action)) : action, topVoxels: [] };
  }
}

async function oracle(): Promise<Figure[]> {
  const episodes = Number(process.env.PERACT_ORACLE_EPISODES ?? 10);
  const grid = Number(process.env.PERACT_ORACLE_GRID ?? 48);
  if (!Number.isInteger(grid) || grid < 1) throw new Error(`PERACT_ORACLE_GRID must be a positive integer, got ${process.env.PERACT_ORACLE_GRID}`);
  const bounds = checkBounds(process.env.PERACT_ORACLE_BOUNDS?.split(',').map(Number) ?? TABLETOP_BOUNDS, 'PERACT_ORACLE_BOUNDS');
  const spec = agentSpec({ gridSize: grid, bounds });
  const codec = new ActionCodec({ bounds: spec.bounds, size: spec.gridSize, rotationResolutionDeg: spec.rotationResolutionDeg });
  const env = new SimEnv();
  const figures: Figure[] = [];
  const means = { exact: 0, grid: 0 };
  try {
    for (const task of TASK_NAMES) {
      for (const [label, policy] of [
        ['exact', new ExpertReplay(env)],
        ['grid', new ExpertReplay(env, codec)],
      ] as const) {
        let successes = 0;
        const reasons: Record<string, number> = {};
        for (let k = 0; k < episodes; k++) {
          const result = await rollout(env, policy, { task, seed: 7000 + k });
          if (result.success) successes++;
          else {
            const reason = (result.failureReason ?? result.outcome).replace(/[\d.]+/g, '#').slice(0, 60);
            reasons[reason] = (reasons[reason] ?? 0) + 1;
          }
        }
        const percent = (100 * successes) / episodes;
        means[label] += percent / TASK_NAMES.length;
        const name = label === 'exact' ? `oracle/${task}/expert` : `oracle/${task}/expert-on-grid`;
        figures.push({ name, median: percent, unit: 'percent', episodes, grid, bounds, failures: reasons });
      }
    }
  } finally {
    await env.close();
  }
  figures.push({ name: 'oracle/mean/expert', median: means.exact, unit: 'percent', episodes });
  figures.push({ name: 'oracle/mean/expert-on-grid', median: means.grid, unit: 'percent', episodes, grid, bounds });
  return figures;
}

export const benchmarks: Benchmark[] = [{ name: 'oracle/expert-on-grid', run: oracle }];
