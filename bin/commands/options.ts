import { invalidArgument } from '../../core/index.js';
import { TASK_NAMES } from '../../sim/index.js';
import type { BackendName } from '../../agent/index.js';

/** Parses an integer flag or throws a typed error naming it. */
export function intOption(value: unknown, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw invalidArgument(flag, `must be an integer >= ${min}, got ${String(value)}`);
  return n;
}

export function numberOption(value: unknown, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw invalidArgument(flag, `must be a number, got ${String(value)}`);
  return n;
}

export function backendOption(value: unknown): BackendName | undefined {
  if (value === undefined) return undefined;
  const v = String(value);
  if (!['tensorflow', 'webgpu', 'wasm', 'cpu'].includes(v)) throw invalidArgument('--backend', `must be tensorflow, webgpu, wasm or cpu, got ${v}`);
  return v as BackendName;
}

/** Progress bars only on a terminal, and not when --no-progress was given. */
export function progressWanted(flag: unknown): boolean {
  return flag !== false && Boolean(process.stderr.isTTY);
}

/** `all` or comma-separated task names (deduplicated, in the given order); unknown names are listed. */
export function parseTasks(value: unknown): string[] {
  const names = String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 1 && names[0] === 'all') return [...TASK_NAMES];
  if (names.length === 0) throw invalidArgument('--tasks', `no task named; known tasks: ${TASK_NAMES.join(', ')} (or "all")`);
  const unknown = names.filter((n) => !TASK_NAMES.includes(n));
  if (unknown.length > 0) {
    throw invalidArgument('--tasks', `unknown task${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known tasks: ${TASK_NAMES.join(', ')} (or "all")`);
  }
  return [...new Set(names)];
}

/** The --on-refusal flag of every command that runs episodes: `.option(...ON_REFUSAL_FLAG)`. */
export const ON_REFUSAL_FLAG = ['--on-refusal <what>', 'a refused action (no path reaches it): end the episode (PerAct) or retry the next-best voxel', 'end'] as const;

/** The --no-sub-voxel flag of every command that loads a policy to act. */
export const NO_SUB_VOXEL_FLAG = ['--no-sub-voxel', "act at the best voxel's centre instead of the probability-weighted mean of its 3x3x3 window"] as const;

/** --on-refusal: end | retry. */
export function refusalOption(value: unknown): 'end' | 'retry' {
  const v = String(value ?? 'end');
  if (v !== 'end' && v !== 'retry') throw invalidArgument('--on-refusal', `must be end or retry, got ${v}`);
  return v;
}
