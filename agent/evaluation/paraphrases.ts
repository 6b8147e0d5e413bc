import { readFile } from 'node:fs/promises';
import { invalidArgument, PeractError } from '../../core/index.js';

/**
 * A fixed set of paraphrased goals for evaluation (`peract eval --goals FILE`, eval/paraphrases.json):
 *
 * ```json
 * { "version": 1, "description": "...", "tasks": { "reach_target": ["move your hand to the {colour} orb", "..."] } }
 * ```
 *
 * A `{name}` placeholder is filled from the episode's `slots` (what its own goal names: colour,
 * count, position, side, ...), so a paraphrase names the same target as the environment's goal.
 * Paraphrase k of every task forms goal set k ("paraphrase k" in the results).
 */
export interface Paraphrases {
  /** The file they came from (for reports). */
  source: string;
  /** Task -> its paraphrases, placeholders unfilled. */
  tasks: Record<string, string[]>;
}

export interface ParaphraseExpectation {
  /** Tasks the evaluation runs: each needs at least one paraphrase. */
  tasks: readonly string[];
  /** Every known task and the placeholders its goals can fill (the simulator's `slotNames`). */
  slotNames: Readonly<Record<string, readonly string[]>>;
}

export const PARAPHRASE_FILE_VERSION = 1;
const PLACEHOLDER = /\{([^{}]*)\}/gu;
const NAME = /^[a-z][a-z0-9_]*$/u;

/** The placeholder names of a paraphrase, in order (a repeated one once). */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** Reads and checks a paraphrase file; every problem is a typed error naming the file and the field. */
export async function loadParaphrases(path: string, expect: ParaphraseExpectation): Promise<Paraphrases> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PeractError(code === 'ENOENT' ? 'NOT_FOUND' : 'CORRUPT_FILE', code === 'ENOENT' ? 'the paraphrase file is missing' : `cannot be read (${code ?? String(error)})`, { field: path, cause: error });
  }
  return parseParaphrases(text, path, expect);
}

/** Parses and checks the text of a paraphrase file (`source` names it in errors). */
export function parseParaphrases(text: string, source: string, expect: ParaphraseExpectation): Paraphrases {
  const bad = (field: string, problem: string): PeractError => invalidArgument(`${source}: ${field}`, problem);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalidArgument(source, `${text.trim().length === 0 ? 'is empty' : 'is not valid JSON'} (${(error as Error).message})`);
  }
  if (!isRecord(json)) throw bad('(root)', `must be an object with "version" and "tasks", got ${describe(json)}`);
  for (const key of Object.keys(json)) {
    if (key !== 'version' && key !== 'description' && key !== 'tasks') throw bad(key, 'unknown field (known: version, description, tasks)');
  }
  if (json.version !== PARAPHRASE_FILE_VERSION) throw bad('version', `must be ${PARAPHRASE_FILE_VERSION}, got ${JSON.stringify(json.version)}`);
  if (json.description !== undefined && typeof json.description !== 'string') throw bad('description', `must be a string, got ${describe(json.description)}`);
  if (!isRecord(json.tasks)) throw bad('tasks', `must be an object of task name -> list of paraphrases, got ${describe(json.tasks)}`);
  const known = Object.keys(expect.slotNames);
  const tasks: Record<string, string[]> = {};
  for (const [task, list] of Object.entries(json.tasks)) {
    const slots = expect.slotNames[task];
    if (!slots) throw bad(`tasks.${task}`, `unknown task; known: ${known.join(', ')}`);
    if (!Array.isArray(list) || list.length === 0) throw bad(`tasks.${task}`, `must be a non-empty list of paraphrases, got ${describe(list)}`);
    tasks[task] = list.map((item: unknown, i) => {
      const field = `tasks.${task}[${i}]`;
      if (typeof item !== 'string' || item.trim().length === 0) throw bad(field, `must be a non-empty string, got ${describe(item)}`);
      const stray = item.replace(PLACEHOLDER, '');
      if (stray.includes('{') || stray.includes('}')) throw bad(field, `unbalanced brace in ${JSON.stringify(item)}`);
      for (const name of placeholdersOf(item)) {
        if (!NAME.test(name) || !slots.includes(name)) {
          throw bad(field, `unknown placeholder {${name}}; ${task}'s are ${slots.length > 0 ? slots.map((s) => `{${s}}`).join(', ') : 'none'}`);
        }
      }
      return item;
    });
  }
  for (const task of expect.tasks) {
    if (!tasks[task]) throw bad(`tasks.${task}`, 'missing: every evaluated task needs its paraphrases');
  }
  return { source, tasks };
}

/** Fills a paraphrase's placeholders from an episode's slots; `field` names it in errors. */
export function fillParaphrase(template: string, slots: Readonly<Record<string, string>> | undefined, field = 'paraphrase'): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = slots?.[name];
    if (value === undefined) {
      const have = slots ? Object.keys(slots).map((s) => `{${s}}`).join(', ') || 'none' : 'none (the environment reports no slots)';
      throw invalidArgument(field, `placeholder {${name}} has no value in this episode; its slots are ${have}`);
    }
    return value;
  });
}

/** How many goal sets the paraphrases make: the longest list (a shorter task has no entry in the later sets). */
export function paraphraseSetCount(p: Paraphrases, tasks: readonly string[]): number {
  return Math.max(0, ...tasks.map((t) => p.tasks[t]?.length ?? 0));
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return x.length === 0 ? 'an empty list' : 'a list';
  if (x === null) return 'null';
  return typeof x === 'string' ? JSON.stringify(x) : typeof x;
}
