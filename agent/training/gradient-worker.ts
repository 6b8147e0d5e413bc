/**
 * A gradient replica: runs on another core, holds a copy of the network, and computes the
 * gradients of its share of each batch with the weights the trainer sends (gradient-replica.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../core/index.js';
import { selectBackend, type BackendName } from '../backend/backend.js';
import { toTensors } from './batch-tensors.js';
import { computeGradients, createNetwork, type LossOptions, type NetworkConfig } from '../network/index.js';
import type { BatchArrays } from '../encoding/samples.js';
import type { AgentSpec } from '../encoding/spec.js';

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

const port = parentPort;
if (!port) throw new Error('agent/training/gradient-worker.ts must run as a worker thread');
const init = workerData as ReplicaInit;
await selectBackend(init.backend);
// The seed does not matter: the weights are replaced before every computation.
const net = createNetwork(init.config, 1);
const params = [...net.params.values()];
port.on('message', async (req: ReplicaRequest) => {
  try {
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
    port.postMessage({ id: req.id, grads: arrays, losses }, arrays.map((a) => a.buffer));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : 'INTERNAL' });
  }
});
port.postMessage({ ready: true });
