import { totalmem } from 'node:os';
import { Rng, type Action, type Observation } from '../../../core/index.js';
import { type Se3AugmentationOptions } from '../../../perception/index.js';
import { observationAt, type EpisodeRecord } from '../../../dataset/index.js';
import { SampleEncoder, stackSamples, type BatchArrays, type SampleInput, type SampleTargets } from '../../encoding/samples.js';
import type { AgentSpec } from '../../encoding/spec.js';
import type { DatasetDraws, SampleIndex, SampleRef } from './sample-index.js';

export interface AugmentationSettings {
  enabled: boolean;
  options?: Se3AugmentationOptions;
  /**
   * Coarse-to-fine agents: the fine cube is centred on the target plus a uniform offset of up to
   * this many metres per axis (drawn whether or not `enabled`: it is how the fine level learns
   * to correct the coarse one). Default 0.
   */
  fineJitterMetres?: number;
}

/** Default memory for decoded samples: a quarter of the machine's memory, at most 4 GiB. */
export function defaultSampleCacheBytes(): number {
  return Math.min(4 * 1024 ** 3, Math.floor(totalmem() / 4));
}

interface LoadedSample {
  observation: Observation;
  goals: string[];
  action: Action;
}

function sampleBytes(sample: LoadedSample): number {
  return sample.observation.cameras.reduce((n, c) => n + c.rgb.byteLength + c.depthMetres.byteLength + (c.mask?.byteLength ?? 0), 0);
}

/**
 * Which samples make up training step `step`: a pure function of (seed, step), so a resumed run
 * draws exactly the batches the uninterrupted run would have. Tasks are drawn uniformly, then a
 * pair within the task; with `draws` (dataset weights) a dataset is drawn first, in proportion
 * to its weight, then a task of that dataset, then a pair.
 */
export function batchPlan(
  index: Pick<SampleIndex, 'byTask'>,
  seed: number,
  step: number,
  batchSize: number,
  draws?: DatasetDraws,
): { sampleIds: number[]; augmentSeed: number } {
  const rng = new Rng(mix(seed, step));
  const tasks = [...index.byTask.values()];
  const sampleIds: number[] = [];
  for (let i = 0; i < batchSize; i++) {
    const pool = draws ? draws.tasks[weightedDataset(draws, rng)] : tasks;
    sampleIds.push(rng.pick(rng.pick(pool)));
  }
  return { sampleIds, augmentSeed: rng.nextUint32() };
}

/** A dataset index drawn in proportion to its weight. */
function weightedDataset(draws: DatasetDraws, rng: Rng): number {
  const c = draws.cumulative;
  const u = rng.next() * c[c.length - 1];
  let d = 0;
  while (d < c.length - 1 && u >= c[d]) d++;
  return d;
}

function mix(seed: number, step: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ step, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The demonstrated action at a keyframe; the collision flag is the one of the motion that ended there. */
export function keyframeAction(episode: EpisodeRecord, keyframe: number): Action {
  const f = episode.frames[keyframe];
  const before = episode.frames[Math.max(0, keyframe - 1)];
  return {
    positionMetres: [...f.gripperPose.positionMetres],
    quaternion: [...f.gripperPose.quaternion],
    gripperOpen: f.gripperOpen,
    ignoreCollisions: before.ignoreCollisions,
  };
}

/**
 * Loads, decodes, voxelizes and augments the samples of a batch (runs in the data worker). A
 * coarse-to-fine agent's batch of n samples holds 2n items, each sample's coarse item followed
 * by its fine one, so any even split of the batch keeps the levels balanced.
 */
export class BatchBuilder {
  private readonly encoder: SampleEncoder;
  /**
   * Decoded samples by id. Decoding the PNGs is most of the cost of a sample (measured: ~60 %
   * of the data worker's time with the verified reads), and a run visits every sample several
   * times. Filled until the budget is spent, never evicted: batches draw uniformly, so any
   * resident set is as good as another. Files were verified when first read.
   */
  private readonly cache = new Map<number, LoadedSample>();
  private cachedBytes = 0;

  constructor(
    private readonly index: SampleIndex,
    spec: AgentSpec,
    private readonly augmentation: AugmentationSettings,
    private readonly cacheBytes = defaultSampleCacheBytes(),
  ) {
    this.encoder = new SampleEncoder(spec);
  }

  async build(sampleIds: readonly number[], augmentSeed: number): Promise<BatchArrays> {
    const rng = new Rng(augmentSeed);
    // Its own generator, so a single-level run draws exactly the goals and augmentations it did before.
    const fineRng = new Rng(augmentSeed ^ 0xf1e1);
    const fine = { rng: fineRng, jitterMetres: this.augmentation.fineJitterMetres ?? 0 };
    const inputs: SampleInput[] = [];
    const targets: SampleTargets[] = [];
    for (const id of sampleIds) {
      const { observation, goal, action } = await this.sample(id, rng);
      const encoded = this.encoder.encodeTraining(observation, goal, action, this.augmentation.enabled ? { rng, options: this.augmentation.options } : undefined, fine);
      for (const item of encoded.items) {
        inputs.push(item.input);
        targets.push(item.targets);
      }
    }
    return stackSamples(inputs, targets);
  }

  private async sample(id: number, rng: Rng): Promise<{ observation: Observation; goal: string; action: Action }> {
    let loaded = this.cache.get(id);
    if (!loaded) {
      loaded = await this.load(this.index.samples[id]);
      const bytes = sampleBytes(loaded);
      if (this.cachedBytes + bytes <= this.cacheBytes) {
        this.cache.set(id, loaded);
        this.cachedBytes += bytes;
      }
    }
    // Every phrasing of the goal is a training goal (language augmentation for free).
    const goal = loaded.goals[rng.int(0, loaded.goals.length - 1)];
    return { observation: loaded.observation, goal, action: loaded.action };
  }

  private async load(ref: SampleRef): Promise<LoadedSample> {
    const dataset = this.index.datasets[ref.dataset];
    const entry = dataset.manifest.episodes[ref.episode];
    const episode = await dataset.loadEpisode(entry, { imageFrames: [ref.observationFrame], masks: false });
    return { observation: observationAt(episode, ref.observationFrame), goals: entry.goals, action: keyframeAction(episode, ref.keyframe) };
  }
}
