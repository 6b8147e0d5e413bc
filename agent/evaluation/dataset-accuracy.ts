import { invalidArgument } from '../../core/index.js';
import { BatchBuilder } from '../training/data/batch-builder.js';
import { buildSampleIndex } from '../training/data/sample-index.js';
import type { PeractPolicy } from '../acting/peract-policy.js';
import { defaultFineJitterMetres } from '../encoding/spec.js';
import { evaluateAccuracy, type Accuracy } from '../training/trainer.js';

export interface TaskAccuracy {
  task: string;
  samples: number;
  accuracy: Accuracy;
}

export interface DatasetAccuracyOptions {
  /** Dataset folders (e.g. held-out demos from another seed block). */
  data: string[];
  /** Use at most this many pairs per task, spread evenly over its list. Default all. */
  perTask?: number;
  /** Only pairs observed at the start or at a keyframe: the states a rollout acts from. */
  keyframeStatesOnly?: boolean;
  /** Samples per forward pass. Default 16. */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * How often a trained network reproduces the demonstrated keyframe actions of a dataset, per
 * task: the offline counterpart of `evaluate` (no simulator, seconds per task), for telling
 * which part of the action (position, rotation, gripper, collision flag) a task fails on.
 */
export async function datasetAccuracy(policy: PeractPolicy, options: DatasetAccuracyOptions): Promise<TaskAccuracy[]> {
  const batch = options.batch ?? 16;
  if (!Number.isInteger(batch) || batch < 1) throw invalidArgument('batch', `must be an integer >= 1, got ${batch}`);
  if (options.perTask !== undefined && !(Number.isInteger(options.perTask) && options.perTask >= 1)) {
    throw invalidArgument('perTask', `must be an integer >= 1, got ${options.perTask}`);
  }
  const index = await buildSampleIndex(options.data);
  // Coarse-to-fine: the fine cube is centred on the target plus the default training offset.
  const builder = new BatchBuilder(index, policy.spec, { enabled: false, fineJitterMetres: defaultFineJitterMetres(policy.spec) }, 0);
  const chosen = new Map<string, number[]>();
  for (const [task, ids] of index.byTask) {
    let mine = ids;
    if (options.keyframeStatesOnly) {
      mine = mine.filter((id) => {
        const ref = index.samples[id];
        const entry = index.datasets[ref.dataset].manifest.episodes[ref.episode];
        return ref.observationFrame === 0 || entry.keyframes.includes(ref.observationFrame);
      });
    }
    const n = Math.min(mine.length, options.perTask ?? mine.length);
    chosen.set(task, Array.from({ length: n }, (_, i) => mine[Math.floor((i * mine.length) / n)]));
  }
  const total = [...chosen.values()].reduce((a, ids) => a + ids.length, 0);
  let done = 0;
  const out: TaskAccuracy[] = [];
  for (const [task, ids] of chosen) {
    const sums: Required<Accuracy> = { translation: 0, translationNear: 0, rotation: 0, gripper: 0, collision: 0, coarseNear: 0 };
    for (let i = 0; i < ids.length; i += batch) {
      const part = ids.slice(i, i + batch);
      const acc = await evaluateAccuracy(policy.net, await builder.build(part, 0), policy.spec);
      for (const k of Object.keys(sums) as (keyof Accuracy)[]) sums[k] += (acc[k] ?? 0) * part.length;
      done += part.length;
      options.onProgress?.(done, total);
    }
    const n = Math.max(1, ids.length);
    for (const k of Object.keys(sums) as (keyof Accuracy)[]) sums[k] /= n;
    if (policy.spec.fineCubeMetres === 0) delete (sums as Accuracy).coarseNear;
    out.push({ task, samples: ids.length, accuracy: sums });
  }
  return out;
}

/** The per-task accuracy as a Markdown table, with the mean over tasks. */
export function accuracyMarkdown(rows: TaskAccuracy[]): string {
  const pct = (x: number): string => (100 * x).toFixed(1);
  const coarse = rows.some((r) => r.accuracy.coarseNear !== undefined);
  const keys: (keyof Accuracy)[] = ['translation', 'translationNear', 'rotation', 'gripper', 'collision', ...(coarse ? (['coarseNear'] as const) : [])];
  const mean = (k: keyof Accuracy): number => rows.reduce((a, r) => a + (r.accuracy[k] ?? 0), 0) / Math.max(1, rows.length);
  return [
    `| task | pairs | voxel % | within one voxel % | rotation % | gripper % | collision % |${coarse ? ' coarse within one voxel % |' : ''}`,
    `| --- | --- | --- | --- | --- | --- | --- |${coarse ? ' --- |' : ''}`,
    ...rows.map((r) => `| ${r.task} | ${r.samples} | ${keys.map((k) => pct(r.accuracy[k] ?? 0)).join(' | ')} |`),
    `| **mean** | ${rows.reduce((a, r) => a + r.samples, 0)} | ${keys.map((k) => `**${pct(mean(k))}**`).join(' | ')} |`,
    '',
  ].join('\n');
}
