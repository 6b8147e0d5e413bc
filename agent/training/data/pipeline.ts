import type { Worker } from 'node:worker_threads';
import type { BatchArrays } from '../../encoding/samples.js';
import type { AgentSpec } from '../../encoding/spec.js';
import { PendingRequests, startWorker } from '../worker-thread.js';
import { batchPlan, BatchBuilder, type AugmentationSettings } from './batch-builder.js';
import type { DatasetDraws, SampleIndex } from './sample-index.js';

export interface PipelineOptions {
  dirs: string[];
  index: SampleIndex;
  spec: AgentSpec;
  augmentation: AugmentationSettings;
  seed: number;
  batchSize: number;
  /** Dataset weights (`datasetDraws`); default: tasks drawn uniformly across all datasets. */
  draws?: DatasetDraws;
  /** Batches prepared ahead of the one being trained on. Default 2. */
  prefetch?: number;
  /** Build batches on the calling thread instead of a worker (tests, debugging). */
  inProcess?: boolean;
}

/**
 * Prepares training batches ahead of the trainer. Batch `step` is a pure function of the seed and
 * the step (`batchPlan`), so it does not matter which thread builds it or when.
 */
export class DataPipeline {
  /** Milliseconds the trainer spent waiting for data, summed. */
  waitMs = 0;
  private worker: Worker | null = null;
  private builder: BatchBuilder | null = null;
  private readonly pending = new Map<number, Promise<BatchArrays>>();
  private readonly answers = new PendingRequests<BatchArrays>('data worker', (reply) => reply.batch as BatchArrays | undefined);

  private constructor(private readonly options: PipelineOptions) {}

  static async start(options: PipelineOptions): Promise<DataPipeline> {
    const p = new DataPipeline(options);
    if (options.inProcess) p.builder = new BatchBuilder(options.index, options.spec, options.augmentation);
    else await p.spawn();
    return p;
  }

  /** The batch of `step`; also queues the next few. */
  async next(step: number): Promise<BatchArrays> {
    const depth = this.options.prefetch ?? 2;
    for (let s = step; s <= step + depth; s++) this.request(s);
    const t0 = performance.now();
    const batch = await (this.pending.get(step) as Promise<BatchArrays>);
    this.waitMs += performance.now() - t0;
    this.pending.delete(step);
    return batch;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }

  private request(step: number): void {
    if (this.pending.has(step)) return;
    const plan = batchPlan(this.options.index, this.options.seed, step, this.options.batchSize, this.options.draws);
    if (this.builder) {
      this.pending.set(step, this.builder.build(plan.sampleIds, plan.augmentSeed));
      return;
    }
    const promise = this.answers.expect(step);
    // A rejection is handled by whoever awaits this step; keep Node from calling it unhandled meanwhile.
    promise.catch(() => undefined);
    this.pending.set(step, promise);
    this.worker?.postMessage({ id: step, sampleIds: plan.sampleIds, augmentSeed: plan.augmentSeed });
  }

  private async spawn(): Promise<void> {
    const workerData = { dirs: this.options.dirs, spec: this.options.spec, augmentation: this.options.augmentation };
    const worker = await startWorker(import.meta.url, 'worker', workerData, 'data worker');
    this.worker = worker;
    this.answers.listen(worker);
  }
}
