/**
 * A training run's folder: `RUN/checkpoints/step-000500/` per save and `RUN/latest`, a small
 * JSON pointer to the newest complete checkpoint for people and tools (`cat RUN/latest`).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PeractError, invalidArgument, readJsonChecked, writeJsonAtomic } from '../../core/index.js';
import { z } from 'zod';
import { saveCheckpoint, type CheckpointPayload } from './save.js';
import { CONFIG_FILE, type CheckpointConfig } from './schema.js';

export const CHECKPOINTS_FOLDER = 'checkpoints';
export const LATEST_FILE = 'latest';
const POINTER_FORMAT = 'peract-checkpoint-pointer';
const POINTER_FORMAT_VERSION = 1;
const STEP_FOLDER = /^step-(\d+)$/;

const pointerSchema = z.object({
  format: z.literal(POINTER_FORMAT),
  formatVersion: z.literal(POINTER_FORMAT_VERSION),
  /** Relative to the run folder, `/`-separated. */
  checkpoint: z.string().regex(/^checkpoints\/step-\d+$/),
  step: z.number().int().min(0),
});

export interface CheckpointRef {
  dir: string;
  step: number;
}

/** `step-000500`: zero-padded to 6 digits so folders sort by step; longer steps just grow. */
export function checkpointFolderName(step: number): string {
  if (!Number.isSafeInteger(step) || step < 0) throw invalidArgument('step', `must be an integer >= 0, got ${String(step)}`);
  return `step-${String(step).padStart(6, '0')}`;
}

/**
 * Saves `RUN/checkpoints/step-NNNNNN/` and then points `RUN/latest` at it, unless the pointer
 * already names a later step (re-saving an older step does not move "latest" back).
 */
export async function saveRunCheckpoint(
  runDir: string,
  step: number,
  payload: Omit<CheckpointPayload, 'step'>,
): Promise<CheckpointRef & { config: CheckpointConfig }> {
  if (typeof runDir !== 'string' || runDir.length === 0) throw invalidArgument('runDir', 'must be a non-empty string');
  const name = checkpointFolderName(step);
  const dir = join(runDir, CHECKPOINTS_FOLDER, name);
  const config = await saveCheckpoint(dir, { ...payload, step });
  const current = await readPointer(runDir);
  if (!current || current.step <= step) {
    await writeJsonAtomic(join(runDir, LATEST_FILE), {
      format: POINTER_FORMAT,
      formatVersion: POINTER_FORMAT_VERSION,
      checkpoint: `${CHECKPOINTS_FOLDER}/${name}`,
      step,
    });
  }
  return { dir, step, config };
}

/**
 * The newest complete checkpoint of a run (highest step whose folder has config.json), or
 * undefined when there is none. Folders are scanned rather than trusting `latest` alone: a
 * crash between a checkpoint's config.json and the pointer leaves the pointer one save behind.
 * A missing run folder is NOT_FOUND.
 */
export async function latestCheckpoint(runDir: string): Promise<CheckpointRef | undefined> {
  if (typeof runDir !== 'string' || runDir.length === 0) throw invalidArgument('runDir', 'must be a non-empty string');
  try {
    if (!(await fs.stat(runDir)).isDirectory()) throw new PeractError('NOT_FOUND', 'is not a run folder (not a directory)', { field: runDir });
  } catch (error) {
    if (error instanceof PeractError) throw error;
    throw new PeractError('NOT_FOUND', 'run folder does not exist', { field: runDir, cause: error });
  }
  let names: string[];
  try {
    names = await fs.readdir(join(runDir, CHECKPOINTS_FOLDER));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') names = [];
    else throw error;
  }
  let best: CheckpointRef | undefined;
  for (const name of names) {
    const match = STEP_FOLDER.exec(name);
    if (!match) continue;
    const step = Number(match[1]);
    if (best && best.step >= step) continue;
    const dir = join(runDir, CHECKPOINTS_FOLDER, name);
    if (await isComplete(dir)) best = { dir, step };
  }
  return best;
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(join(dir, CONFIG_FILE))).isFile();
  } catch {
    return false;
  }
}

/** The pointer as written, or undefined when absent; a damaged pointer is rewritten, not fatal. */
async function readPointer(runDir: string): Promise<z.infer<typeof pointerSchema> | undefined> {
  const path = join(runDir, LATEST_FILE);
  try {
    await fs.access(path);
  } catch {
    return undefined;
  }
  try {
    return await readJsonChecked(path, pointerSchema, 'latest checkpoint pointer', {
      format: POINTER_FORMAT,
      formatVersion: POINTER_FORMAT_VERSION,
    });
  } catch {
    return undefined;
  }
}
