/**
 * A gradient replica: runs on another core, holds a copy of the network, and computes the
 * gradients of its share of each batch with the weights the trainer sends (gradient-replica.ts).
 */
import { workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../core/index.js';
import { selectBackend, type BackendName } from '../backend/backend.js';
import { toTensors } from './batch-tensors.js';
import { computeGradients, createNetwork, type LossOptions, type NetworkConfig } from '../network/index.js';
import type { BatchArrays } from '../encoding/samples.js';
import type { AgentSpec } from '../encoding/spec.js';
import { serveRequests } from './worker-thread.js';

export interface ReplicaInit {
  config: NetworkConfig;
  spec: AgentSpec;
  backend: BackendName;
}

export interface ReplicaRequest {
  id: number;
  /** Every parameter, in the network's parameter order. */
  weights: Float32Array[];
  batch: BatchArrays;
  dropoutSeed: number;
  loss: LossOptions;
}

const init = workerData as ReplicaInit;
await selectBackend(init.backend);
// The seed does not matter: the weights are replaced before every computation.
const net = createNetwork(init.config, 1);
const params = [...net.params.values()];
serveRequests<ReplicaRequest>('agent/training/gradient-worker.ts', async (req) => {
  tf.tidy(() => params.forEach((v, i) => v.assign(tf.tensor(req.weights[i], v.shape))));
  net.dropoutRng = new Rng(req.dropoutSeed);
  const n = req.batch.translation.length;
  const tensors = toTensors(req.batch, init.spec, n);
  const { grads, losses } = await computeGradients(net, tensors, req.loss);
  tf.dispose([...Object.values(tensors.input), ...Object.values(tensors.targets)]);
  const arrays = await Promise.all(
    [...net.params.keys()].map(async (name) => {
      const g = grads.get(name);
      return g ? ((await g.data()) as Float32Array).slice() : new Float32Array(0);
    }),
  );
  tf.dispose([...grads.values()]);
  return { reply: { grads: arrays, losses }, transfer: arrays.map((a) => a.buffer as ArrayBuffer) };
});
