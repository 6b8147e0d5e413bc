/**
 * The coarse-to-fine preset against the `cpu` preset on the same machine, in one run:
 * training samples per second on two threads (a gradient replica on the second core, as
 * `peract train --replicas 2` runs), batch 16 samples each (the c2f batch holds 32 items: a
 * coarse and a fine grid per sample), synthetic batches (network only, no data pipeline); and
 * one action on a real simulator observation on one core (back-projection, voxelization at
 * every level, the network's passes, untrained weights); and how many kernels one training
 * step on one thread runs (tf.profile), the count that sets a step's cost on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { agentSpec, GradientReplicas, PeractPolicy, type BackendName } from '../agent/index.js';
import { createNetwork, disposeNetwork, Optimizer, resolveConfig, trainStep, type PresetName } from '../agent/network/index.js';
import { SimEnv } from '../sim/index.js';
import { timeIt, type Benchmark, type Figure } from './harness.js';
import { benchBackend as backend, syntheticInput, syntheticTargets, syntheticBatchArrays } from './synthetic.js';

const SAMPLES = 16;

async function trainThroughput(preset: PresetName, name: BackendName): Promise<Figure> {
  const config = resolveConfig(preset);
  const spec = agentSpec({ gridSize: config.gridSize, tokenLength: config.languageLength, fineCubeMetres: config.fineCubeMetres });
  const items = SAMPLES * config.levels;
  const replicas = await GradientReplicas.start(1, config, spec, name);
  const net = createNetwork(config, 1);
  const optimizer = new Optimizer({ kind: 'adam' });
  try {
    const arrays = await syntheticBatchArrays(config, items, 3);
    const options = { loss: { translationSigmaVoxels: 1, rotationSigmaBins: 1 } };
    const f = await timeIt(`c2f/train/${preset}/2-threads-b${SAMPLES}`, () => replicas.step(net, optimizer, arrays, spec, options), { runs: 8, warmup: 2, extra: { backend: name, items } });
    return { ...f, name: `${f.name}/samples-per-s`, median: (1000 * SAMPLES) / f.median, unit: 'per_s', stepMs: f.median };
  } finally {
    optimizer.dispose();
    disposeNetwork(net);
    await replicas.close();
  }
}

async function actLatency(preset: PresetName, name: BackendName): Promise<Figure> {
  const config = resolveConfig(preset);
  const spec = agentSpec({ gridSize: config.gridSize, tokenLength: config.languageLength, fineCubeMetres: config.fineCubeMetres });
  const policy = new PeractPolicy(createNetwork(config, 1), spec);
  const env = new SimEnv();
  try {
    const { observation, goal } = await env.reset({ task: 'pick_and_lift', seed: 7000 });
    return await timeIt(`c2f/act/${preset}`, () => policy.act(observation, goal), { runs: 15, warmup: 3, extra: { backend: name, levels: config.levels, note: 'observation -> action, one core' } });
  } finally {
    await env.close();
    disposeNetwork(policy.net);
  }
}

/** Kernels one training step of `items` items runs on one thread (tf.profile), and their summed kernel time. */
async function kernelsPerStep(preset: PresetName, items: number, name: BackendName): Promise<Figure> {
  const config = resolveConfig(preset);
  const net = createNetwork(config, 1);
  const optimizer = new Optimizer({ kind: 'adam' });
  const batch = { input: syntheticInput(config, items, 3), targets: syntheticTargets(config, items, 4) };
  const options = { loss: { translationSigmaVoxels: 1, rotationSigmaBins: 1 } };
  try {
    await trainStep(net, optimizer, batch, options);
    const info = await tf.profile(async () => {
      await trainStep(net, optimizer, batch, options);
    });
    const kernelMs = info.kernels.reduce((a, k) => a + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0), 0);
    return { name: `c2f/train/${preset}/kernels-per-step-b${items}`, median: info.kernels.length, unit: 'count', kernelMs: Math.round(kernelMs), backend: name, note: 'kernels in one training step on one thread' };
  } finally {
    tf.dispose([...Object.values(batch.input), ...Object.values(batch.targets)]);
    optimizer.dispose();
    disposeNetwork(net);
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'c2f/train',
    run: async () => {
      const name = await backend();
      const cpu = await trainThroughput('cpu', name);
      const c2f = await trainThroughput('c2f', name);
      return [cpu, c2f, { name: 'c2f/train/c2f-over-cpu', median: c2f.median / cpu.median, unit: 'ratio', backend: name, note: 'training samples per second, same cores, same run' }];
    },
  },
  {
    name: 'c2f/kernels',
    run: async () => {
      const name = await backend();
      return [await kernelsPerStep('cpu', 8, name), await kernelsPerStep('c2f', 16, name)];
    },
  },
  {
    name: 'c2f/act',
    run: async () => {
      const name = await backend();
      const cpu = await actLatency('cpu', name);
      const c2f = await actLatency('c2f', name);
      return [cpu, c2f, { name: 'c2f/act/c2f-over-cpu', median: c2f.median / cpu.median, unit: 'ratio', backend: name }];
    },
  },
];
