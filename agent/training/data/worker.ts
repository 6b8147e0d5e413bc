/**
 * The data worker: runs on the second core so decoding PNGs, back-projecting, augmenting and
 * voxelizing never starve the network on the first.
 */
import { workerData } from 'node:worker_threads';
import type { AgentSpec } from '../../encoding/spec.js';
import { BatchBuilder, type AugmentationSettings } from './batch-builder.js';
import { buildSampleIndex } from './sample-index.js';
import { serveRequests } from '../worker-thread.js';

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

const init = workerData as WorkerInit;
const index = await buildSampleIndex(init.dirs);
const builder = new BatchBuilder(index, init.spec, init.augmentation);
// Builds run one at a time: the builder reuses its point and voxel buffers.
serveRequests<BuildRequest>(
  'agent/training/data/worker.ts',
  async (req) => {
    const batch = await builder.build(req.sampleIds, req.augmentSeed);
    return { reply: { batch }, transfer: Object.values(batch).map((a) => a.buffer as ArrayBuffer) };
  },
  { oneAtATime: true },
);
