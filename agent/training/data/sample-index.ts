import { invalidArgument } from '../../../core/index.js';
import { openDataset, trainingPairs, type Dataset, type EpisodeEntry } from '../../../dataset/index.js';

/** One behaviour-cloning pair: the observation at `observationFrame`, the pose at `keyframe`. */
export interface SampleRef {
  dataset: number;
  episode: number;
  task: string;
  observationFrame: number;
  keyframe: number;
}

export interface SampleIndex {
  datasets: Dataset[];
  samples: SampleRef[];
  /** Sample indices grouped by task, tasks sorted: batches draw tasks uniformly. */
  byTask: Map<string, number[]>;
  /** Every (task, seed) the data was generated from, so evaluation can refuse overlaps. */
  seeds: Map<string, Set<number>>;
}

/**
 * Lists PerAct's training pairs of every episode of the given datasets (each keyframe with the
 * previous keyframe's observation and every 10th frame before it). Order is deterministic.
 */
export async function buildSampleIndex(dirs: readonly string[]): Promise<SampleIndex> {
  if (dirs.length === 0) throw invalidArgument('data', 'at least one dataset folder is needed');
  const datasets = await Promise.all(dirs.map((d) => openDataset(d)));
  const samples: SampleRef[] = [];
  const seeds = new Map<string, Set<number>>();
  datasets.forEach((ds, d) => {
    ds.manifest.episodes.forEach((entry: EpisodeEntry, e) => {
      if (!seeds.has(entry.task)) seeds.set(entry.task, new Set());
      seeds.get(entry.task)?.add(entry.seed);
      for (const pair of trainingPairs(entry.keyframes, entry.frameCount)) {
        samples.push({ dataset: d, episode: e, task: entry.task, observationFrame: pair.observationFrame, keyframe: pair.keyframe });
      }
    });
  });
  if (samples.length === 0) throw invalidArgument('data', `no training pairs in ${dirs.join(', ')}`);
  const byTask = new Map<string, number[]>();
  samples.forEach((s, i) => {
    if (!byTask.has(s.task)) byTask.set(s.task, []);
    byTask.get(s.task)?.push(i);
  });
  const sorted = new Map([...byTask.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { datasets, samples, byTask: sorted, seeds };
}

/**
 * Weighted drawing across datasets: a dataset is drawn in proportion to its weight, then a task
 * uniformly among that dataset's tasks, then a sample of that task within that dataset. (Without
 * weights, batches draw tasks uniformly across all datasets together.)
 */
export interface DatasetDraws {
  /** Running sums of the weights, one per dataset; the last is the total. */
  cumulative: number[];
  /** Per dataset, per task (sorted by name), the sample indices. */
  tasks: number[][][];
}

/** The draws for one weight per dataset (positive numbers, in the order of `index.datasets`). */
export function datasetDraws(index: Pick<SampleIndex, 'datasets' | 'samples'>, weights: readonly number[]): DatasetDraws {
  if (!Array.isArray(weights) || weights.length !== index.datasets.length) {
    throw invalidArgument('dataWeights', `must hold one weight per dataset (${index.datasets.length}), got ${Array.isArray(weights) ? weights.length : String(weights)}`);
  }
  const byDataset = index.datasets.map(() => new Map<string, number[]>());
  index.samples.forEach((s, i) => {
    const tasks = byDataset[s.dataset];
    if (!tasks.has(s.task)) tasks.set(s.task, []);
    tasks.get(s.task)?.push(i);
  });
  const cumulative: number[] = [];
  let total = 0;
  weights.forEach((w, d) => {
    if (!(Number.isFinite(w) && w > 0)) throw invalidArgument('dataWeights', `weight of ${index.datasets[d].dir} must be a number > 0, got ${w}`);
    if (byDataset[d].size === 0) throw invalidArgument('dataWeights', `${index.datasets[d].dir} has a weight but no training pairs`);
    total += w;
    cumulative.push(total);
  });
  const tasks = byDataset.map((m) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ids]) => ids));
  return { cumulative, tasks };
}
