/**
 * The network on a GPU through WebGPU (Dawn's Node binding, npm `webgpu`) against wasm on the
 * same machine, in one run. Agreement first (same weights and batch on both backends: forward
 * logits, then ten training steps' losses), then speed: the `cpu` preset's act latency and
 * training step (batch 16, the trainer's; 64 on the GPU), the `peract` preset's act latency and
 * training step (GPU only: wasm cannot hold its gradients, network.bench.ts).
 *
 * It runs as a single-file bundle (with Node, the `webgpu` package and Vulkan's loader) on a bare
 * GPU machine:
 *   npm install --no-save webgpu && npm run pack:gpu   # here: writes .gpu/
 *   bash .gpu/run gpu.mjs [--out DIR]   # on the GPU machine; JSON lines on stdout and DIR/gpu.jsonl
 *
 * With `--checkpoint RUN` it also loads a trained policy on both backends and compares what it
 * does: its action on synthetic scenes (`PeractPolicy.actOnInput`), and with `--data DIR` its
 * per-task held-out keyframe accuracy (`datasetAccuracy`), plus the act latency of each backend.
 *
 * Locally (no GPU) `npx tsx bench/gpu.ts` reports why webgpu is unavailable and measures wasm.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { datasetAccuracy, loadPolicy, selectBackend, type PeractPolicy, type SampleInput } from '../agent/index.js';
import {
  createNetwork,
  disposeNetwork,
  forward,
  Optimizer,
  resolveConfig,
  SURFACE_HEIGHT_MAX,
  trainStep,
  type NetworkConfig,
  type PresetName,
  type TrainingBatch,
} from '../agent/network/index.js';
import { surfaceHeights } from '../perception/index.js';
import { emit, timeIt, type Figure } from './harness.js';
import { actOnce, syntheticInput, syntheticTargets } from './synthetic.js';

type Backend = 'webgpu' | 'wasm';
const STEP_OPTIONS = { loss: { translationSigmaVoxels: 1, rotationSigmaBins: 1 } };
const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const outDir = flag('--out');
const checkpoint = flag('--checkpoint');
const dataDir = flag('--data');
if (outDir) mkdirSync(outDir, { recursive: true });

function report(figure: Figure): void {
  emit(figure);
  if (outDir) appendFileSync(join(outDir, 'gpu.jsonl'), `${JSON.stringify(figure)}\n`);
}

/** Makes `backend` tf's active one, through the product's own backend selection. */
async function use(backend: Backend): Promise<void> {
  await selectBackend(backend);
}

/** The GPU's name as Dawn reports it (webgpu must have started). */
async function adapterName(): Promise<string> {
  type Info = { vendor?: string; architecture?: string; device?: string; description?: string };
  const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<{ info?: Info } | null> } } }).navigator.gpu;
  const i = (await gpu.requestAdapter())?.info ?? {};
  return [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ');
}

/** A seeded batch with the encoder's surface-height classes, as the trainer builds it. */
async function batch(config: NetworkConfig, size: number, seed: number): Promise<TrainingBatch> {
  const input = syntheticInput(config, size, seed);
  const heights = surfaceHeights(new Float32Array(await input.voxels.data()), config.gridSize, SURFACE_HEIGHT_MAX);
  return {
    input: { ...input, surfaceHeights: tf.tensor2d(heights, [size, config.gridSize ** 3], 'int32') },
    targets: syntheticTargets(config, size, seed + 1),
  };
}

function disposeBatch(b: TrainingBatch): void {
  tf.dispose([...Object.values(b.input), ...Object.values(b.targets)]);
}

/** Forward logits and ten training steps' losses of one seeded network on the current backend. */
async function trajectory(config: NetworkConfig): Promise<{ logits: Float32Array; losses: number[] }> {
  const net = createNetwork(config, 7);
  const optimizer = new Optimizer({ kind: 'adam' });
  const b = await batch(config, 4, 11);
  try {
    const logits = tf.tidy(() => forward(net, b.input).translation);
    const values = new Float32Array(await logits.data());
    logits.dispose();
    const losses: number[] = [];
    for (let i = 0; i < 10; i++) losses.push((await trainStep(net, optimizer, b, STEP_OPTIONS)).total);
    return { logits: values, losses };
  } finally {
    disposeBatch(b);
    optimizer.dispose();
    disposeNetwork(net);
  }
}

async function agreement(): Promise<Figure[]> {
  const config = resolveConfig('cpu', { dropout: 0 });
  await use('wasm');
  const reference = await trajectory(config);
  await use('webgpu');
  const gpu = await trajectory(config);
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < gpu.logits.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(gpu.logits[i] - reference.logits[i]));
    scale = Math.max(scale, Math.abs(reference.logits[i]));
  }
  const V3 = config.gridSize ** 3;
  const argmax = (a: Float32Array, b: number) => {
    let best = b * V3;
    for (let i = b * V3; i < (b + 1) * V3; i++) if (a[i] > a[best]) best = i;
    return best;
  };
  let sameArgmax = 0;
  for (let b = 0; b < 4; b++) sameArgmax += argmax(gpu.logits, b) === argmax(reference.logits, b) ? 1 : 0;
  const lossDiff = Math.max(...gpu.losses.map((l, i) => Math.abs(l - reference.losses[i])));
  return [
    { name: 'gpu/agreement/forward-translation-logits-max-abs-diff', median: maxDiff, unit: 'nats', logitScale: scale, sameArgmaxOf4: sameArgmax },
    { name: 'gpu/agreement/10-train-steps-loss-max-abs-diff', median: lossDiff, unit: 'nats', wasmLosses: reference.losses, webgpuLosses: gpu.losses },
  ];
}

async function act(backend: Backend, preset: PresetName, runs: number, warmup: number): Promise<Figure> {
  await use(backend);
  const config = resolveConfig(preset);
  const net = createNetwork(config, 1);
  const b = await batch(config, 1, 2);
  try {
    return await timeIt(`gpu/${preset}/act-b1/${backend}`, () => actOnce(net, b.input), { runs, warmup, extra: { backend, preset } });
  } finally {
    disposeBatch(b);
    disposeNetwork(net);
  }
}

async function step(backend: Backend, preset: PresetName, size: number, runs: number, warmup: number, overrides: Partial<NetworkConfig> = {}, label = ''): Promise<Figure> {
  await use(backend);
  const config = resolveConfig(preset, overrides);
  const net = createNetwork(config, 1);
  const optimizer = new Optimizer({ kind: 'adam' });
  const b = await batch(config, size, 3);
  try {
    const f = await timeIt(`gpu/${preset}/train-step-b${size}${label}/${backend}`, () => trainStep(net, optimizer, b, STEP_OPTIONS), { runs, warmup, extra: { backend, preset } });
    return { ...f, samplesPerS: (1000 * size) / f.median };
  } catch (err) {
    return { name: `gpu/${preset}/train-step-b${size}${label}/${backend}`, median: Number.NaN, unit: 'ms', runs: 0, backend, error: String((err as Error).message).slice(0, 200) };
  } finally {
    disposeBatch(b);
    optimizer.dispose();
    disposeNetwork(net);
  }
}

/** A trained policy's actions on synthetic scenes and held-out accuracy, per backend. */
async function policyOn(backend: Backend): Promise<{ actions: string[]; latency: Figure; accuracy?: Awaited<ReturnType<typeof datasetAccuracy>> }> {
  await use(backend);
  const { policy } = await loadPolicy(checkpoint as string);
  try {
    const inputs = await policyInputs(policy, 4);
    const actions: string[] = [];
    for (const input of inputs) {
      const out = await policy.actOnInput(input);
      actions.push(JSON.stringify({ p: out.action.positionMetres.map((v) => Number(v.toFixed(4))), q: out.action.quaternion.map((v) => Number(v.toFixed(3))), open: out.action.gripperOpen, ignore: out.action.ignoreCollisions }));
    }
    const latency = await timeIt(`gpu/policy/act-on-input/${backend}`, () => policy.actOnInput(inputs[0]), { runs: 10, warmup: 2, extra: { backend, checkpoint } });
    const accuracy = dataDir ? await datasetAccuracy(policy, { data: [dataDir], keyframeStatesOnly: true }) : undefined;
    return { actions, latency, accuracy };
  } finally {
    disposeNetwork(policy.net);
  }
}

async function policyInputs(policy: PeractPolicy, n: number): Promise<SampleInput[]> {
  const config = policy.net.config;
  const inputs: SampleInput[] = [];
  for (let i = 0; i < n; i++) {
    const b = await batch(config, 1, 50 + i);
    inputs.push({
      voxels: new Float32Array(await b.input.voxels.data()),
      surfaceHeights: new Int32Array(await (b.input.surfaceHeights as tf.Tensor).data()),
      proprio: new Float32Array(await b.input.proprio.data()),
      language: new Int32Array(await b.input.language.data()),
      level: 0,
    });
    disposeBatch(b);
  }
  return inputs;
}

async function policyAgreement(): Promise<Figure[]> {
  const reference = await policyOn('wasm');
  const gpu = await policyOn('webgpu');
  const sameActions = gpu.actions.filter((a, i) => a === reference.actions[i]).length;
  const figures: Figure[] = [
    { name: 'gpu/policy/same-action-of-4', median: sameActions, unit: 'ratio', wasm: reference.actions, webgpu: gpu.actions },
    reference.latency,
    gpu.latency,
  ];
  if (reference.accuracy && gpu.accuracy) {
    const mean = (a: typeof gpu.accuracy) => a.reduce((s, t) => s + t.accuracy.translationNear, 0) / a.length;
    figures.push({ name: 'gpu/policy/held-out-within-one-voxel', median: 100 * mean(gpu.accuracy), unit: 'percent', wasm: 100 * mean(reference.accuracy), samples: gpu.accuracy.reduce((s, t) => s + t.samples, 0) });
  }
  return figures;
}

await use('wasm');
let adapter: string;
try {
  await use('webgpu');
  adapter = await adapterName();
} catch (err) {
  report({ name: 'gpu/webgpu-unavailable', median: Number.NaN, unit: 'ms', error: String((err as Error).message) });
  report(await act('wasm', 'cpu', 10, 2));
  if (checkpoint) {
    const { actions, latency, accuracy } = await policyOn('wasm');
    report({ ...latency, actions, heldOutWithinOneVoxel: accuracy?.map((t) => `${t.task} ${(100 * t.accuracy.translationNear).toFixed(0)}`) });
  }
  process.exit(0);
}
report({ name: 'gpu/adapter', median: 0, unit: 'ms', adapter });
// --ablation: what each of the cpu preset's terms costs its training step on webgpu, each
// switched off in turn (the agreement check first, as the gradients differ per backend).
const ablation = process.argv.includes('--ablation');
for (const f of await agreement()) report(f);
if (checkpoint && !ablation) {
  try {
    for (const f of await policyAgreement()) report(f);
  } catch (err) {
    report({ name: 'gpu/policy/failed', median: Number.NaN, unit: 'ms', error: String((err as Error).stack ?? err).slice(0, 400) });
  }
}
const plan: Array<() => Promise<Figure>> = ablation ? [
  () => step('webgpu', 'cpu', 16, 3, 1),
  () => step('webgpu', 'cpu', 16, 3, 1, { surfaceHeight: false }, '/no-surface-height'),
  () => step('webgpu', 'cpu', 16, 3, 1, { dropout: 0 }, '/no-dropout'),
  () => step('webgpu', 'cpu', 16, 3, 1, { surfaceHeight: false, languageGrounding: false, dropout: 0 }, '/no-height-grounding-dropout'),
  () => step('webgpu', 'cpu', 64, 2, 1),
] : [
  () => act('wasm', 'cpu', 20, 3),
  () => act('webgpu', 'cpu', 20, 5),
  () => step('wasm', 'cpu', 16, 5, 1),
  () => step('webgpu', 'cpu', 16, 10, 3),
  () => step('webgpu', 'cpu', 64, 5, 2),
  () => act('webgpu', 'peract', 10, 2),
  () => act('wasm', 'peract', 2, 0),
  () => step('webgpu', 'peract', 1, 5, 2),
  () => step('webgpu', 'peract', 4, 3, 1),
];
for (const measure of plan) {
  try {
    report(await measure());
  } catch (err) {
    report({ name: 'gpu/failed', median: Number.NaN, unit: 'ms', error: String((err as Error).stack ?? err).slice(0, 400) });
  }
}
