import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { PeractError, invalidArgument } from './errors.js';

/**
 * Crash-safe file writing and checked reading. Datasets, checkpoints and run records all go
 * through these so that a killed process leaves either the old file or the new one, never half
 * of one, and a damaged file is reported by path instead of surfacing as a parse error deep
 * inside a trainer.
 */

/** Bytes or text (written as UTF-8). */
export type FileData = Uint8Array | string;

/** Lower-case hex SHA-256 of bytes, or of a string's UTF-8 encoding. */
export function sha256Hex(data: FileData): string {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw invalidArgument('data', 'must be a Uint8Array or a string');
  }
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder (so the rename never
 * crosses file systems), fsync, then rename over the target. Readers see the old file or the
 * complete new one. The temporary file is removed when anything fails.
 */
export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument('path', 'must be a non-empty string');
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw invalidArgument('data', 'must be a Uint8Array or a string');
  }
  const dir = dirname(path);
  // A leading dot and a random suffix keep temporaries out of globbing and apart across writers.
  const tempPath = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tempPath, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tempPath, path);
  } catch (error) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.rm(tempPath, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

/** Makes a rename durable; some platforms (Windows) cannot open folders, which is harmless there. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Durability of the rename is best effort; the write itself already succeeded.
  } finally {
    if (handle) await handle.close().catch(() => undefined);
  }
}

/** Writes `value` as pretty-printed JSON (trailing newline) through `writeFileAtomic`. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw invalidArgument('value', 'cannot be written as JSON');
  await writeFileAtomic(path, `${text}\n`);
}

/** The format name and version a versioned JSON file must carry in `format` / `formatVersion`. */
export interface FormatExpectation {
  format: string;
  formatVersion: number;
}

/** Reads a whole file; a missing or unreadable file is a `CORRUPT_FILE` naming the path. */
export async function readFileOrReport(path: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? String(error)})`;
    throw corruptFile(path, `${what} ${problem}`, error);
  }
}

/**
 * Reads a file and checks its byte size and SHA-256 against what was recorded when it was
 * written; reports missing, truncated/grown and tampered files as `CORRUPT_FILE`.
 */
export async function readFileVerified(
  path: string,
  expected: { bytes: number; sha256: string },
  what: string,
): Promise<Buffer> {
  const data = await readFileOrReport(path, what);
  if (data.length !== expected.bytes) {
    const how = data.length < expected.bytes ? 'truncated' : 'longer than recorded';
    throw corruptFile(path, `${what} is ${how}: ${data.length} bytes, expected ${expected.bytes}`);
  }
  const actual = sha256Hex(data);
  if (actual !== expected.sha256) {
    throw corruptFile(path, `${what} fails its checksum: sha256 ${actual}, expected ${expected.sha256}`);
  }
  return data;
}

/** Parses JSON bytes and validates them, reporting problems against `path`. */
export function parseJsonChecked<T>(
  path: string,
  data: Uint8Array | string,
  schema: z.ZodType<T>,
  what: string,
  version?: FormatExpectation,
): T {
  const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const problem = text.trim().length === 0 ? 'is empty' : `is truncated or not valid JSON (${(error as Error).message})`;
    throw corruptFile(path, `${what} ${problem}`, error);
  }
  if (version) checkFormat(path, json, what, version);
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
      .join('; ');
    const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : '';
    throw corruptFile(path, `${what} does not match its schema: ${issues}${more}`);
  }
  return result.data;
}

/**
 * Reads and validates a JSON file. Missing, empty, truncated (invalid JSON) and schema-mismatched
 * files are `CORRUPT_FILE`; with `version`, a file of another format is `CORRUPT_FILE` and one
 * of another version of this format is `VERSION_MISMATCH`. Every message names the path.
 */
export async function readJsonChecked<T>(
  path: string,
  schema: z.ZodType<T>,
  what: string,
  version?: FormatExpectation,
): Promise<T> {
  const data = await readFileOrReport(path, what);
  return parseJsonChecked(path, data, schema, what, version);
}

function checkFormat(path: string, json: unknown, what: string, version: FormatExpectation): void {
  const record = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  if (record.format !== version.format) {
    throw corruptFile(path, `${what} is not a '${version.format}' file (format ${JSON.stringify(record.format)})`);
  }
  if (record.formatVersion !== version.formatVersion) {
    throw new PeractError(
      'VERSION_MISMATCH',
      `${what} has formatVersion ${JSON.stringify(record.formatVersion)}; this runtime reads version ${version.formatVersion}`,
      { field: path },
    );
  }
}

/** A `CORRUPT_FILE` error whose field is the file path, so every message starts with it. */
export function corruptFile(path: string, problem: string, cause?: unknown): PeractError {
  return new PeractError('CORRUPT_FILE', problem, { field: path, cause });
}
