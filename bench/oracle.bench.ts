/**
 * What the action space allows: the simulator's scripted expert replayed keyframe by keyframe,
 * exactly, through the `cpu` preset's action codec (the position snapped to its 48^3 voxel's
 * centre, the rotation to 5-degree bins), and through the `c2f` preset's two levels (the coarse
 * 20^3 voxel's centre, then the voxel of a 20^3 grid over a 12 cm cube centred there): what a
 * perfect network's argmax decodes to. A task the quantized expert fails cannot be solved by
 * any model of that preset; the gap to the exact replay is the cost of the grid. Seeds 7000+
 * (outside the demo and eval blocks); PERACT_ORACLE_EPISODES episodes a task (default 25).
 * Other single grids: PERACT_ORACLE_GRID (voxels per axis, default 48) and
 * PERACT_ORACLE_BOUNDS (six numbers, default the agent's TABLETOP_BOUNDS).
 */
import { agentSpec, PRESETS, rollout, TABLETOP_BOUNDS } from '../agent/index.js';
import type { Action, Observation, Policy, PolicyOutput } from '../core/index.js';
import { ActionCodec, checkBounds, cubeBounds } from '../perception/index.js';
import { SimEnv, TASK_NAMES } from '../sim/index.js';
import type { Benchmark, Figure } from './harness.js';

/** The expert's next step from the current scene, passed through `quantize` (as a perfect network's argmax decodes it). */
class ExpertReplay implements Policy {
  private k = 0;
  constructor(
    private readonly env: SimEnv,
    private readonly quantize: (action: Action) => Action = (a) => a,
  ) {}

  async act(observation: Observation): Promise<PolicyOutput> {
    if (observation.step === 0) this.k = 0;
    const steps = this.env.expert();
    const action = steps[Math.min(this.k++, steps.length - 1)].action;
    return { action: this.quantize(action), topVoxels: [] };
  }
}

/** One grid: the voxel's centre and the rotation bins. */
function onGrid(codec: ActionCodec): (a: Action) => Action {
  return (a) => codec.decode(codec.encode(a));
}

/** Coarse-to-fine: the coarse voxel's centre, then the fine voxel of a cube centred there. */
function coarseToFine(bounds: readonly number[], grid: number, cubeMetres: number): (a: Action) => Action {
  const coarse = new ActionCodec({ bounds: checkBounds(bounds), size: grid });
  return (a) => {
    const fine = new ActionCodec({ bounds: cubeBounds(coarse.decode(coarse.encode(a)).positionMetres, cubeMetres), size: grid });
    return fine.decode(fine.encode(a));
  };
}

async function oracle(): Promise<Figure[]> {
  const episodes = Number(process.env.PERACT_ORACLE_EPISODES ?? 25);
  const grid = Number(process.env.PERACT_ORACLE_GRID ?? 48);
  if (!Number.isInteger(grid) || grid < 1) throw new Error(`PERACT_ORACLE_GRID must be a positive integer, got ${process.env.PERACT_ORACLE_GRID}`);
  const bounds = checkBounds(process.env.PERACT_ORACLE_BOUNDS?.split(',').map(Number) ?? TABLETOP_BOUNDS, 'PERACT_ORACLE_BOUNDS');
  const spec = agentSpec({ gridSize: grid, bounds });
  const codec = new ActionCodec({ bounds: spec.bounds, size: spec.gridSize, rotationResolutionDeg: spec.rotationResolutionDeg });
  const env = new SimEnv();
  const figures: Figure[] = [];
  const c2f = PRESETS.c2f;
  const means = { exact: 0, grid: 0, c2f: 0 };
  try {
    for (const task of TASK_NAMES) {
      for (const [label, policy] of [
        ['exact', new ExpertReplay(env)],
        ['grid', new ExpertReplay(env, onGrid(codec))],
        ['c2f', new ExpertReplay(env, coarseToFine(TABLETOP_BOUNDS, c2f.gridSize, c2f.fineCubeMetres))],
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
        const name = { exact: `oracle/${task}/expert`, grid: `oracle/${task}/expert-on-grid`, c2f: `oracle/${task}/expert-on-c2f` }[label];
        const where = label === 'c2f' ? { grid: c2f.gridSize, fineCubeMetres: c2f.fineCubeMetres, bounds: TABLETOP_BOUNDS } : { grid, bounds };
        figures.push({ name, median: percent, unit: 'percent', episodes, ...where, failures: reasons });
      }
    }
  } finally {
    await env.close();
  }
  figures.push({ name: 'oracle/mean/expert', median: means.exact, unit: 'percent', episodes });
  figures.push({ name: 'oracle/mean/expert-on-grid', median: means.grid, unit: 'percent', episodes, grid, bounds });
  figures.push({ name: 'oracle/mean/expert-on-c2f', median: means.c2f, unit: 'percent', episodes, grid: c2f.gridSize, fineCubeMetres: c2f.fineCubeMetres, bounds: TABLETOP_BOUNDS });
  return figures;
}

export const benchmarks: Benchmark[] = [{ name: 'oracle/expert-on-grid', run: oracle }];
