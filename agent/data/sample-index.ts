import { invalidArgument } from '../../core/index.js';
import { openDataset, trainingPairs, type Dataset, type EpisodeEntry } from '../../perception/index.js';

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
