import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  PeractError,
  corruptFile,
  invalidArgument,
  readFileVerified,
  readJsonChecked,
} from '../../core/index.js';
import type { TokenizerKind } from '../../perception/index.js';
import { validateConfig, type NetworkConfig } from '../network/index.js';
import { modelProblems, optimizerProblems, summarise } from './check.js';
import { decodeSafetensors } from './safetensors.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CONFIG_FILE,
  MODEL_FILE,
  OPTIMIZER_FILE,
  checkpointConfigSchema,
  consistencyProblem,
  type CheckpointConfig,
} from './schema.js';
import { expectedParameterShapes } from './shapes.js';
import { formatShape, sameShape, type TensorMap } from './tensors.js';

export interface LoadedCheckpoint {
  dir: string;
  /** config.json as checked: network, training, step, rng states, bounds... */
  config: CheckpointConfig;
  model: TensorMap;
  /** Present when the checkpoint holds training state and it was asked for. */
  optimizer?: TensorMap;
}

export interface LoadOptions {
  /** The network the caller will load into; any difference is INVALID_ARGUMENT naming fields and tensors. */
  expectConfig?: NetworkConfig;
  /** Read optimizer.safetensors when listed (default true); false for inference. */
  optimizer?: boolean;
}

/**
 * Reads and checks a checkpoint folder. A missing folder is NOT_FOUND; a missing, truncated,
 * tampered or inconsistent file is CORRUPT_FILE naming that file and the problem (checksum,
 * header, dtype, missing tensor, shape against what config.json's network implies); another
 * formatVersion is VERSION_MISMATCH. Nothing is returned unless every check passed.
 */
export async function loadCheckpoint(dir: string, options: LoadOptions = {}): Promise<LoadedCheckpoint> {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('dir', 'must be a non-empty string');
  await requireFolder(dir);
  const configPath = join(dir, CONFIG_FILE);
  try {
    await fs.access(configPath);
  } catch {
    throw corruptFile(configPath, 'checkpoint config is missing (a save that was interrupted leaves no config.json)');
  }
  const stored = await readJsonChecked(configPath, checkpointConfigSchema, 'checkpoint config', {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
  });
  const modelPath = join(dir, MODEL_FILE);
  const modelBytes = await readFileVerified(modelPath, stored.files[MODEL_FILE], 'checkpoint model weights');
  const model = decodeSafetensors(modelPath, modelBytes).tensors;
  // Checkpoints written before these network fields existed: the weights say whether they have
  // the term, the tokenizer record which tokenizer they read.
  const n = stored.network;
  const network = {
    ...n,
    axisLogits: n.axisLogits ?? model.has('decoder.axes.w'),
    languageGrounding: n.languageGrounding ?? model.has('grounding.words'),
    surfaceHeight: n.surfaceHeight ?? model.has('decoder.height.w'),
    tokenizer: n.tokenizer ?? (stored.tokenizer.kind as TokenizerKind),
    levels: n.levels ?? 1,
    fineCubeMetres: n.fineCubeMetres ?? 0,
    localHead: n.localHead ?? false,
  };
  const config: CheckpointConfig = { ...stored, network };
  try {
    validateConfig(config.network);
  } catch (error) {
    throw corruptFile(configPath, `checkpoint config has an invalid network (${(error as Error).message})`, error);
  }
  const inconsistent = consistencyProblem(config);
  if (inconsistent) throw corruptFile(configPath, `checkpoint config: ${inconsistent.field} ${inconsistent.problem}`);
  const expected = expectedParameterShapes(config.network);
  if (options.expectConfig) checkExpected(config.network, options.expectConfig, expected);

  const modelIssues = modelProblems(model, expected, `${CONFIG_FILE}'s network`);
  if (modelIssues.length > 0) throw corruptFile(modelPath, `checkpoint model weights: ${summarise(modelIssues)}`);

  const loaded: LoadedCheckpoint = { dir, config, model };
  const optimizerRecord = config.files[OPTIMIZER_FILE];
  if (optimizerRecord && options.optimizer !== false) {
    const optimizerPath = join(dir, OPTIMIZER_FILE);
    const bytes = await readFileVerified(optimizerPath, optimizerRecord, 'checkpoint optimizer state');
    const optimizer = decodeSafetensors(optimizerPath, bytes).tensors;
    const issues = optimizerProblems(optimizer, expected, `${CONFIG_FILE}'s network`);
    if (issues.length > 0) throw corruptFile(optimizerPath, `checkpoint optimizer state: ${summarise(issues)}`);
    loaded.optimizer = optimizer;
  }
  return loaded;
}

async function requireFolder(dir: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PeractError('NOT_FOUND', 'checkpoint folder does not exist', { field: dir, cause: error });
    throw new PeractError('NOT_FOUND', `checkpoint folder cannot be read (${code ?? String(error)})`, { field: dir, cause: error });
  }
  if (!stat.isDirectory()) throw new PeractError('NOT_FOUND', 'is not a checkpoint folder (not a directory)', { field: dir });
}

/** Which fields differ and which tensors that changes, so the caller sees why the weights won't fit. */
function checkExpected(actual: NetworkConfig, wanted: NetworkConfig, actualShapes: ReadonlyMap<string, readonly number[]>): void {
  validateConfig(wanted);
  const fields = (Object.keys(actual) as Array<keyof NetworkConfig>).filter(
    (key) => JSON.stringify(actual[key]) !== JSON.stringify(wanted[key]),
  );
  if (fields.length === 0) return;
  const wantedShapes = expectedParameterShapes(wanted);
  const tensors: string[] = [];
  for (const [name, shape] of wantedShapes) {
    const have = actualShapes.get(name);
    if (!have) tensors.push(`'${name}' missing`);
    else if (!sameShape(have, shape)) tensors.push(`'${name}' ${formatShape(have)} != ${formatShape(shape)}`);
  }
  for (const name of actualShapes.keys()) if (!wantedShapes.has(name)) tensors.push(`'${name}' unexpected`);
  const differences = fields.map((key) => `${key}: checkpoint ${JSON.stringify(actual[key])}, expected ${JSON.stringify(wanted[key])}`);
  const effect = tensors.length > 0 ? `; tensors: ${summarise(tensors)}` : '; every tensor shape still matches';
  throw invalidArgument('expectConfig', `checkpoint network differs (${summarise(differences)})${effect}`);
}
