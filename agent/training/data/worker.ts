/**
 * The data worker: runs on the second core so decoding PNGs, back-projecting, augmenting and
 * voxelizing never starve the network on the first.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AgentSpec } from '../../encoding/spec.js';
import { BatchBuilder, type AugmentationSettings } from './batch-builder.js';
import { buildSampleIndex } from './sample-index.js';

interface WorkerInit {
  dirs: string[];
  spec: AgentSpec;
  augmentation: AugmentationSettings;
}

interface BuildRequest {
  id: number;
  sampleIds: number[];
  augmentSeed: number;
}

const port = parentPort;
if (!port) throw new Error('agent/data/worker.ts must run as a worker thread');
const init = workerData as WorkerInit;
const index = await buildSampleIndex(init.dirs);
const builder = new BatchBuilder(index, init.spec, init.augmentation);
// Builds run one at a time: the builder reuses its point and voxel buffers.
let chain: Promise<void> = Promise.resolve();
port.on('message', (req: BuildRequest) => {
  chain = chain.then(async () => {
    try {
      const batch = await builder.build(req.sampleIds, req.augmentSeed);
      const buffers = Object.values(batch).map((a) => a.buffer as ArrayBuffer);
      port.postMessage({ id: req.id, batch }, buffers);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : 'INTERNAL' });
    }
  });
});
port.postMessage({ ready: true });
