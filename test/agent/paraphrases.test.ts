import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillParaphrase, loadParaphrases, parseParaphrases, placeholdersOf, type ParaphraseExpectation } from '../../agent/index.js';
import { PeractError, Rng } from '../../core/index.js';
import { goalWords } from '../../perception/index.js';
import { TASK_NAMES, TASKS } from '../../sim/index.js';

const FILE = 'eval/paraphrases.json';
const EXPECT: ParaphraseExpectation = { tasks: TASK_NAMES, slotNames: Object.fromEntries(TASKS.map((t) => [t.name, t.slotNames])) };
/** Words that carry no content: a paraphrase needs a new word beyond these. */
const FUNCTION_WORDS = new Set(['the', 'a', 'an', 'your', 'it', 'its', 'of', 'to', 'in', 'into', 'on', 'onto', 'at', 'with', 'and', 'then', 'one', 'another', 'upon', 'over', 'out', 'down', 'up', 'inside', 'that', 'this']);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peract-goals-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every word of every template goal of a task, over all its variations. */
function templateWords(task: (typeof TASKS)[number]): Set<string> {
  const words = new Set<string>();
  for (let variation = 0; variation < task.variationCount; variation++) {
    for (const seed of [0, 1, 2]) for (const goal of task.build(variation, new Rng(seed)).goals) for (const w of goalWords(goal)) words.add(w);
  }
  return words;
}

describe('task slots', () => {
  it('every instance fills exactly its task\'s slotNames, with what its template goals name', () => {
    for (const task of TASKS) {
      for (let variation = 0; variation < task.variationCount; variation++) {
        const instance = task.build(variation, new Rng(variation));
        expect(Object.keys(instance.slots).sort(), task.name).toEqual([...task.slotNames].sort());
        for (const [name, value] of Object.entries(instance.slots)) {
          // push_buttons' goal says its count by how many buttons it names.
          if (task.name === 'push_buttons' && name === 'count') {
            expect(instance.slots.colours.split(', then ')).toHaveLength(Number(value));
            continue;
          }
          const parts = name === 'colours' ? value.split(', then ') : [value];
          for (const goal of instance.goals) for (const part of parts) expect(goal, `${task.name} {${name}}`).toContain(part);
        }
      }
    }
  });
});

describe('eval/paraphrases.json', () => {
  it('loads, with two paraphrases for each of the ten tasks', async () => {
    const p = await loadParaphrases(FILE, EXPECT);
    expect(p.source).toBe(FILE);
    expect(Object.keys(p.tasks).sort()).toEqual([...TASK_NAMES].sort());
    for (const name of TASK_NAMES) expect(p.tasks[name], name).toHaveLength(2);
  });

  it('fills every placeholder for every task and variation, naming what the template goal names, with a word no template of the task uses', async () => {
    const p = await loadParaphrases(FILE, EXPECT);
    for (const task of TASKS) {
      const known = templateWords(task);
      for (const [i, paraphrase] of p.tasks[task.name].entries()) {
        const fresh = goalWords(paraphrase.replace(/\{[a-z_]+\}/gu, ' ')).filter((w) => !known.has(w) && !FUNCTION_WORDS.has(w));
        expect(fresh.length, `${task.name}[${i}] "${paraphrase}" has no content word new to the task`).toBeGreaterThan(0);
        for (let variation = 0; variation < task.variationCount; variation++) {
          const instance = task.build(variation, new Rng(variation));
          const filled = fillParaphrase(paraphrase, instance.slots);
          expect(filled).not.toMatch(/[{}]/u);
          for (const name of placeholdersOf(paraphrase)) {
            if (name === 'count' && task.name === 'push_buttons') continue;
            const parts = name === 'colours' ? instance.slots[name].split(', then ') : [instance.slots[name]];
            for (const part of parts) expect(filled).toContain(part);
          }
        }
        // Every paraphrase names what the goal needs: a colour, a drawer, a side.
        expect(placeholdersOf(paraphrase).length, `${task.name}[${i}]`).toBeGreaterThan(0);
      }
    }
  });
});

describe('paraphrase files', () => {
  const parse = (json: unknown, tasks: readonly string[] = ['reach_target']) =>
    parseParaphrases(typeof json === 'string' ? json : JSON.stringify(json), 'goals.json', { ...EXPECT, tasks });
  const fails = (fn: () => unknown, field: string, problem: RegExp): void => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PeractError);
    expect((error as PeractError).code).toBe('INVALID_ARGUMENT');
    expect((error as PeractError).field).toBe(field);
    expect((error as PeractError).message).toMatch(problem);
  };

  it('are typed errors naming the file and the field', () => {
    fails(() => parse('{"version": 1, "tasks": '), 'goals.json', /is not valid JSON/);
    fails(() => parse(''), 'goals.json', /is empty/);
    fails(() => parse([]), 'goals.json: (root)', /must be an object/);
    fails(() => parse({ version: 2, tasks: {} }), 'goals.json: version', /must be 1, got 2/);
    fails(() => parse({ version: 1, task: {} }), 'goals.json: task', /unknown field/);
    fails(() => parse({ version: 1, tasks: [] }), 'goals.json: tasks', /must be an object/);
    fails(() => parse({ version: 1, tasks: { turn_tap: ['twist the {side} faucet'] } }), 'goals.json: tasks.reach_target', /missing: every evaluated task needs its paraphrases/);
    fails(() => parse({ version: 1, tasks: { reach_target: ['touch the {hue} orb'] } }), 'goals.json: tasks.reach_target[0]', /unknown placeholder \{hue\}; reach_target's are \{colour\}/);
    fails(() => parse({ version: 1, tasks: { reach_target: ['go', 'touch the {colour orb'] } }), 'goals.json: tasks.reach_target[1]', /unbalanced brace/);
    fails(() => parse({ version: 1, tasks: { reach_target: [] } }), 'goals.json: tasks.reach_target', /non-empty list/);
    fails(() => parse({ version: 1, tasks: { reach_target: [3] } }), 'goals.json: tasks.reach_target[0]', /non-empty string, got number/);
    fails(() => parse({ version: 1, tasks: { fly_to_the_moon: ['go'] } }), 'goals.json: tasks.fly_to_the_moon', /unknown task; known: reach_target,/);
  });

  it('only the evaluated tasks must be there; a missing file is NOT_FOUND', async () => {
    const p = parse({ version: 1, description: 'two tasks', tasks: { reach_target: ['touch the {colour} orb'], turn_tap: ['twist the {side} faucet'] } });
    expect(p.tasks.turn_tap).toEqual(['twist the {side} faucet']);
    const path = join(dir, 'goals.json');
    await writeFile(path, '{"version":1,"tasks":{"reach_target":["{colour}"]}}');
    await expect(loadParaphrases(path, { ...EXPECT, tasks: ['reach_target', 'close_jar'] })).rejects.toThrow(`${path}: tasks.close_jar: missing`);
    await expect(loadParaphrases(join(dir, 'none.json'), EXPECT)).rejects.toMatchObject({ code: 'NOT_FOUND', field: join(dir, 'none.json') });
  });

  it('fill placeholders from slots, and name the placeholder an episode cannot fill', () => {
    expect(fillParaphrase('stack {count} {colour} bricks, {colour} ones', { colour: 'red', count: '3' })).toBe('stack 3 red bricks, red ones');
    expect(placeholdersOf('stack {count} {colour} bricks, {colour} ones')).toEqual(['count', 'colour']);
    expect(() => fillParaphrase('the {side} lever', { colour: 'red' }, 'f.json: tasks.turn_tap[0]')).toThrow(/^f\.json: tasks\.turn_tap\[0\]: placeholder \{side\} has no value in this episode; its slots are \{colour\}/);
    expect(() => fillParaphrase('the {side} lever', undefined)).toThrow(/the environment reports no slots/);
  });
});
