import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument, sha256Hex, writeFileAtomic, writeJsonAtomic } from '../../core/index.js';
import { validateConfig, type NetworkConfig } from '../network/index.js';
import { modelProblems, optimizerProblems, summarise } from './check.js';
import { encodeSafetensors } from './safetensors.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CONFIG_FILE,
  MODEL_FILE,
  OPTIMIZER_FILE,
  checkpointConfigSchema,
  consistencyProblem,
  type CheckpointConfig,
  type DatasetRecord,
  type InitRecord,
  type JsonValue,
  type TokenizerRecord,
} from './schema.js';
import { expectedParameterShapes } from './shapes.js';
import { checkTensorMap, type TensorMap } from './tensors.js';

/** Everything a checkpoint records. Defaults are the only values consistent with `network`. */
export interface CheckpointPayload {
  /** Preset the network config came from (`peract`, `cpu`, or a name of the caller's). */
  preset: string;
  network: NetworkConfig;
  /** Every training hyper-parameter, as given (optimizer, lr, batch, steps, seed, augmentation...). */
  training: Record<string, JsonValue>;
  /** Default: `{ kind: 'perceiver-bytes', length: network.languageLength, vocab: network.vocabSize }`. */
  tokenizer?: TokenizerRecord;
  /** Scene bounds `[xMin, yMin, zMin, xMax, yMax, zMax]` in metres. */
  bounds: readonly number[];
  /** Default `network.gridSize` (must equal it). */
  gridSize?: number;
  /** Default `360 / network.rotationBins` (must agree with it). */
  rotationResolutionDeg?: number;
  episodeLength?: number;
  /** Training steps done. */
  step: number;
  datasets?: DatasetRecord[];
  /** Weights by parameter name (`tensorsFromParams(net.params)`). */
  model: TensorMap;
  /** Optimizer moments by name (`tensorsFromParams(optimizer.state)`); training state, optional. */
  optimizer?: TensorMap;
  /** The optimizer's own step count; default `step`. Only with `optimizer`. */
  optimizerStep?: number;
  /** Named generator states (`{ dropout: net.dropoutRng.state(), data: rng.state() }`). */
  rngStates: Record<string, readonly number[]>;
  /** Fine-tuned runs: the checkpoint the run started from. */
  initialisedFrom?: InitRecord;
  /** Default now; pass one to make the bytes of config.json reproducible. */
  createdAt?: Date | string;
}

/**
 * Writes a checkpoint folder (created if needed): model.safetensors, optimizer.safetensors when
 * given, then config.json with both files' sizes and checksums. Each file is written atomically
 * and config.json last, after removing an older one first, so at every instant the folder is
 * either complete or visibly incomplete (no config.json). Returns what config.json holds.
 */
export async function saveCheckpoint(dir: string, payload: CheckpointPayload): Promise<CheckpointConfig> {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('dir', 'must be a non-empty string');
  const record = buildRecord(payload);
  const createdAt = createdAtOf(payload.createdAt);

  await fs.mkdir(dir, { recursive: true });
  await fs.rm(join(dir, CONFIG_FILE), { force: true });
  const meta = { format: CHECKPOINT_FORMAT, formatVersion: String(CHECKPOINT_FORMAT_VERSION), step: String(record.step) };

  const modelBytes = encodeSafetensors(payload.model, { ...meta, content: 'model' });
  await writeFileAtomic(join(dir, MODEL_FILE), modelBytes);
  const files: CheckpointConfig['files'] = { [MODEL_FILE]: { bytes: modelBytes.length, sha256: sha256Hex(modelBytes) } };
  if (payload.optimizer) {
    const optimizerBytes = encodeSafetensors(payload.optimizer, {
      ...meta,
      content: 'optimizer',
      optimizerStep: String(record.optimizerStep),
    });
    await writeFileAtomic(join(dir, OPTIMIZER_FILE), optimizerBytes);
    files[OPTIMIZER_FILE] = { bytes: optimizerBytes.length, sha256: sha256Hex(optimizerBytes) };
  } else {
    // A stale file from an earlier save at this path would look like this checkpoint's state.
    await fs.rm(join(dir, OPTIMIZER_FILE), { force: true });
  }

  const config: CheckpointConfig = { ...record, files, createdAt };
  await writeJsonAtomic(join(dir, CONFIG_FILE), config);
  return config;
}

function createdAtOf(value: Date | string | undefined): string {
  if (value === undefined) return new Date().toISOString();
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw invalidArgument('payload.createdAt', `must be a date, got ${String(value)}`);
  return date.toISOString();
}

/** Validates the payload into config.json's fields (without files and createdAt). */
function buildRecord(payload: CheckpointPayload): Omit<CheckpointConfig, 'files' | 'createdAt'> {
  if (!payload || typeof payload !== 'object') throw invalidArgument('payload', 'must be an object');
  validateConfig(payload.network);
  const network = { ...payload.network, headHidden: [payload.network.headHidden[0], payload.network.headHidden[1]] as [number, number] };
  const optimizerStep = payload.optimizer ? (payload.optimizerStep ?? payload.step) : undefined;
  if (!payload.optimizer && payload.optimizerStep !== undefined) {
    throw invalidArgument('payload.optimizerStep', 'is only saved with payload.optimizer');
  }
  const candidate = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    preset: payload.preset,
    network,
    training: payload.training,
    tokenizer: payload.tokenizer ?? { kind: network.tokenizer, length: network.languageLength, vocab: network.vocabSize },
    bounds: Array.isArray(payload.bounds) ? [...payload.bounds] : payload.bounds,
    gridSize: payload.gridSize ?? network.gridSize,
    rotationResolutionDeg: payload.rotationResolutionDeg ?? 360 / network.rotationBins,
    ...(payload.episodeLength !== undefined ? { episodeLength: payload.episodeLength } : {}),
    step: payload.step,
    ...(optimizerStep !== undefined ? { optimizerStep } : {}),
    datasets: payload.datasets ?? [],
    rng: normaliseRngStates(payload.rngStates),
    ...(payload.initialisedFrom !== undefined ? { initialisedFrom: payload.initialisedFrom } : {}),
  };
  const schema = checkpointConfigSchema.omit({ files: true, createdAt: true });
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join('.');
    throw invalidArgument(`payload.${fieldName(path)}`, issue.message);
  }
  // The schema refused unknown fields and validateConfig checked the rest: `network` is the
  // parsed network with every optional field present.
  const record = { ...parsed.data, network };
  const inconsistent = consistencyProblem(record);
  if (inconsistent) throw invalidArgument(`payload.${inconsistent.field}`, inconsistent.problem);

  const expected = expectedParameterShapes(record.network);
  checkTensorMap(payload.model, 'payload.model');
  const modelIssues = modelProblems(payload.model, expected, 'payload.network');
  if (modelIssues.length > 0) throw invalidArgument('payload.model', summarise(modelIssues));
  if (payload.optimizer) {
    checkTensorMap(payload.optimizer, 'payload.optimizer');
    const optimizerIssues = optimizerProblems(payload.optimizer, expected, 'payload.network');
    if (optimizerIssues.length > 0) throw invalidArgument('payload.optimizer', summarise(optimizerIssues));
  }
  return record;
}

/**
 * `Rng.state()` can hand out words as signed int32 (its xor/shift arithmetic); the file holds
 * them as uint32, the same bits, and `Rng.fromState` takes either.
 */
function normaliseRngStates(states: Record<string, readonly number[]>): unknown {
  if (!states || typeof states !== 'object') return states;
  const out: Record<string, unknown> = {};
  for (const [name, state] of Object.entries(states)) {
    const isWord = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0xffffffff;
    out[name] = Array.isArray(state) && state.every(isWord) ? state.map((v: number) => v >>> 0) : state;
  }
  return out;
}

/** The payload names its RNG states `rngStates`; config.json calls them `rng`. */
function fieldName(path: string): string {
  return path.replace(/^rng(\.|$)/, 'rngStates$1');
}
