import { Rng, type Action, type Observation } from '../../core/index.js';
import { observationAt, type EpisodeRecord, type Se3AugmentationOptions } from '../../perception/index.js';
import { SampleEncoder, stackSamples, type BatchArrays, type SampleInput, type SampleTargets } from '../samples.js';
import type { AgentSpec } from '../spec.js';
import type { SampleIndex, SampleRef } from './sample-index.js';

export interface AugmentationSettings {
  enabled: boolean;
  options?: Se3AugmentationOptions;
}

/**
 * Which samples make up training step `step`: a pure function of (seed, step), so a resumed run
 * draws exactly the batches the uninterrupted run would have. Tasks are drawn uniformly, then a
 * pair within the task.
 */
export function batchPlan(index: Pick<SampleIndex, 'byTask'>, seed: number, step: number, batchSize: number): { sampleIds: number[]; augmentSeed: number } {
  const rng = new Rng(mix(seed, step));
  const tasks = [...index.byTask.values()];
  const sampleIds: number[] = [];
  for (let i = 0; i < batchSize; i++) sampleIds.push(rng.pick(rng.pick(tasks)));
  return { sampleIds, augmentSeed: rng.nextUint32() };
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

/** Loads, decodes, voxelizes and augments the samples of a batch (runs in the data worker). */
export class BatchBuilder {
  private readonly encoder: SampleEncoder;

  constructor(
    private readonly index: SampleIndex,
    spec: AgentSpec,
    private readonly augmentation: AugmentationSettings,
  ) {
    this.encoder = new SampleEncoder(spec);
  }

  async build(sampleIds: readonly number[], augmentSeed: number): Promise<BatchArrays> {
    const rng = new Rng(augmentSeed);
    const inputs: SampleInput[] = [];
    const targets: SampleTargets[] = [];
    for (const id of sampleIds) {
      const { observation, goal, action } = await this.load(this.index.samples[id], rng);
      const encoded = this.encoder.encodeTraining(observation, goal, action, this.augmentation.enabled ? { rng, options: this.augmentation.options } : undefined);
      inputs.push(encoded.input);
      targets.push(encoded.targets);
    }
    return stackSamples(inputs, targets);
  }

  private async load(ref: SampleRef, rng: Rng): Promise<{ observation: Observation; goal: string; action: Action }> {
    const dataset = this.index.datasets[ref.dataset];
    const entry = dataset.manifest.episodes[ref.episode];
    const episode = await dataset.loadEpisode(entry, { imageFrames: [ref.observationFrame] });
    // Every phrasing of the goal is a training goal (language augmentation for free).
    const goal = entry.goals[rng.int(0, entry.goals.length - 1)];
    return { observation: observationAt(episode, ref.observationFrame), goal, action: keyframeAction(episode, ref.keyframe) };
  }
}
