import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../agent/index.js';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'peract-eval-goals-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

function peract(...args: string[]) {
  return spawnSync('npx', ['tsx', 'bin/peract.ts', ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, PERACT_BACKEND: 'wasm' } });
}

describe('peract eval --goals', () => {
  it('runs the shipped model on the template goal and each paraphrase of eval/paraphrases.json, and writes both tables', { timeout: 120_000 }, async () => {
    const dir = join(out, 'eval');
    const r = peract('eval', '--checkpoint', 'models/peract-cpu', '--tasks', 'reach_target', '--episodes', '1', '--seeds', '1000', '--max-steps', '1', '--pictures', '0', '--goals', 'eval/paraphrases.json', '--out', dir, '--no-progress');
    expect(r.stderr).not.toMatch(/peract: \[/);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/each with the template goal and 2 paraphrases of eval\/paraphrases\.json \(3 rollouts\)/);
    const json = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as EvaluationReport;
    expect(json.goalSets).toEqual(['template', 'paraphrase 1', 'paraphrase 2']);
    expect(json.episodes.map((e) => e.goalSet)).toEqual(['template', 'paraphrase 1', 'paraphrase 2']);
    const colour = /reach the (\w+) (target|sphere)|touch the (\w+) ball/u.exec(json.episodes[0].goal)!.slice(1).find((x) => x && x !== 'target' && x !== 'sphere');
    expect(json.episodes.slice(1).map((e) => e.goal)).toEqual([`move your hand to the ${colour} orb`, `position the gripper at the ${colour} globe`]);
    expect(Object.keys(json.tasks[0].byGoalSet!)).toEqual(['template', 'paraphrase 1', 'paraphrase 2']);
    const md = await readFile(join(dir, 'results.md'), 'utf8');
    expect(md).toMatch(/## Template goals[\s\S]*\| reach_target \| \d+\.\d ± 0\.0 \| \d+\.\d \|/u);
    expect(md).toMatch(/## Paraphrased goals \(eval\/paraphrases\.json\)[\s\S]*\| task \| template \| paraphrase 1 \| paraphrase 2 \|\n\| --- \| --- \| --- \| --- \|\n\| reach_target \| \d+\.\d \| \d+\.\d \| \d+\.\d \|/u);
    expect(md).toContain(`move your hand to the ${colour} orb → move ?your hand to the ${colour} ball(orb)`);
    expect(r.stdout).toContain('## Paraphrased goals');
  });

  it('a bad paraphrase file exits 2 naming the file and the field', { timeout: 120_000 }, async () => {
    const bad = async (name: string, text: string, message: RegExp) => {
      const path = join(out, name);
      await writeFile(path, text);
      const r = peract('eval', '--checkpoint', 'models/peract-cpu', '--tasks', 'reach_target,turn_tap', '--episodes', '1', '--goals', path);
      expect(r.status, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
    };
    await bad('broken.json', '{"version": 1, "tasks": {', /INVALID_ARGUMENT\] .*broken\.json: is not valid JSON/);
    await bad('missing.json', '{"version": 1, "tasks": {"reach_target": ["touch the {colour} orb"]}}', /missing\.json: tasks\.turn_tap: missing: every evaluated task needs its paraphrases/);
    await bad('placeholder.json', '{"version": 1, "tasks": {"reach_target": ["touch the {colour} orb"], "turn_tap": ["twist the {colour} faucet"]}}', /placeholder\.json: tasks\.turn_tap\[0\]: unknown placeholder \{colour\}; turn_tap's are \{side\}/);
  });

  it('--help describes --goals', () => {
    const r = peract('eval', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--goals <file>\s+paraphrased goals/);
  });
});
