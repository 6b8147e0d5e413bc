import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '../../core/index.js';
import type { BackendName } from '../backend/backend.js';
import { sliceBatch, toTensors } from './batch-tensors.js';
import type { ReplicaInit, ReplicaRequest } from './gradient-worker.js';
import { computeGradients, type LossValues, type NetworkConfig, type Optimizer, type PeractNetwork, type StepOptions } from '../network/index.js';
import type { BatchArrays } from '../encoding/samples.js';
import type { AgentSpec } from '../encoding/spec.js';
import { PendingRequests, startWorker } from './worker-thread.js';

interface ReplicaResult {
  grads: Float32Array[];
  losses: LossValues;
}

/**
 * Synchronous data parallelism over worker threads. wasm runs single-threaded in Node
 * (docs/design.md), so on a 2-core machine one training thread leaves a core idle; a replica on it
 * computes the gradient of half of each batch. Every step the replicas get the current weights,
 * the gradients are averaged and the trainer applies one update: the same algorithm as one
 * thread with the whole batch (dropout masks aside), deterministic for a given replica count.
 */
export class GradientReplicas {
  private nextId = 0;
  private readonly answers = new PendingRequests<ReplicaResult>('gradient replica', (reply) =>
    reply.grads && reply.losses ? { grads: reply.grads as Float32Array[], losses: reply.losses as LossValues } : undefined,
  );

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) this.answers.listen(w);
  }

  /** Starts `count` replicas (the trainer's own thread is one more). */
  static async start(count: number, config: NetworkConfig, spec: AgentSpec, backend: BackendName): Promise<GradientReplicas> {
    if (!Number.isInteger(count) || count < 1) throw invalidArgument('replicas', `must be an integer >= 1, got ${count}`);
    if (backend !== 'wasm' && backend !== 'cpu') {
      throw invalidArgument('replicas', `data parallelism over threads is for the wasm and cpu backends; ${backend} already uses the whole device`);
    }
    const init: ReplicaInit = { config, spec, backend };
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) workers.push(await startWorker(import.meta.url, 'gradient-worker', init, 'gradient replica'));
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new GradientReplicas(workers);
  }

  /** Threads taking part in a step, the trainer's included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * One optimizer step on `batch` (n samples, n a multiple of `threads`): the trainer's thread
   * takes the first share, each replica one of the others. Returns the mean losses.
   */
  async step(net: PeractNetwork, optimizer: Optimizer, batch: BatchArrays, spec: AgentSpec, options: StepOptions): Promise<LossValues> {
    const n = batch.translation.length;
    const k = this.threads;
    if (n % k !== 0) throw invalidArgument('batch', `must be a multiple of the ${k} training threads, got ${n}`);
    const share = n / k;
    const weights = (await Promise.all([...net.params.values()].map((v) => v.data()))) as Float32Array[];
    const remote = this.workers.map((w, i) => this.request(w, weights, sliceBatch(batch, (i + 1) * share, (i + 2) * share), net.dropoutRng.nextUint32(), options));
    // Whoever awaits them handles a rejection; a local failure must not leave them unhandled.
    for (const r of remote) r.catch(() => undefined);
    const tensors = toTensors(sliceBatch(batch, 0, share), spec, share);
    let local: Awaited<ReturnType<typeof computeGradients>>;
    try {
      local = await computeGradients(net, tensors, options.loss);
    } finally {
      tf.dispose([...Object.values(tensors.input), ...Object.values(tensors.targets)]);
    }
    try {
      const others = await Promise.all(remote);
      const names = [...net.params.keys()];
      tf.tidy(() => {
        const mean = new Map<string, tf.Tensor>();
        names.forEach((name, i) => {
          const own = local.grads.get(name);
          if (!own) return;
          const sum = tf.addN([own, ...others.map((o) => tf.tensor(o.grads[i], own.shape))]);
          mean.set(name, tf.div(sum, k));
        });
        optimizer.apply(net.params, mean, options.learningRate);
      });
      const all = [local.losses, ...others.map((o) => o.losses)];
      const avg = (key: keyof LossValues): number => all.reduce((s, l) => s + l[key], 0) / k;
      return { total: avg('total'), translation: avg('translation'), rotation: avg('rotation'), gripper: avg('gripper'), collision: avg('collision') };
    } finally {
      tf.dispose([...local.grads.values()]);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private request(worker: Worker, weights: Float32Array[], batch: BatchArrays, dropoutSeed: number, options: StepOptions): Promise<ReplicaResult> {
    const id = this.nextId++;
    const promise = this.answers.expect(id);
    // Copies of just this share, transferred: posting a view would clone its whole batch buffer.
    const share = Object.fromEntries(Object.entries(batch).map(([k, a]) => [k, (a as Float32Array | Int32Array).slice()])) as unknown as BatchArrays;
    const message: ReplicaRequest = { id, weights, batch: share, dropoutSeed, loss: options.loss ?? {} };
    worker.postMessage(message, Object.values(share).map((a) => (a as Float32Array).buffer as ArrayBuffer));
    return promise;
  }
}
