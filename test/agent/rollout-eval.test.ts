import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSeedOverlap, evaluate, reportMarkdown, rollout, type EvaluationReport } from '../../agent/index.js';
import type { Env, Observation, Policy, PolicyOutput } from '../../core/index.js';
import { SimEnv } from '../../sim/index.js';

/** Replays the simulator's scripted expert: the policy a rollout must report as a success. */
class ExpertPolicy implements Policy {
  private k = 0;
  constructor(private readonly env: SimEnv) {}
  async act(observation: Observation): Promise<PolicyOutput> {
    if (observation.step === 0) this.k = 0;
    const steps = this.env.expert();
    return { action: steps[Math.min(this.k++, steps.length - 1)].action, topVoxels: [] };
  }
}

/** Stays where it is: nothing ever happens. */
const stayPolicy: Policy = {
  async act(o: Observation): Promise<PolicyOutput> {
    return { action: { positionMetres: o.gripperPose.positionMetres, quaternion: o.gripperPose.quaternion, gripperOpen: o.gripperOpen, ignoreCollisions: true }, topVoxels: [] };
  },
};

let env: SimEnv;
let dir: string;
beforeAll(async () => {
  env = new SimEnv();
  dir = await mkdtemp(join(tmpdir(), 'peract-eval-'));
});
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

describe('rollout', () => {
  it('reports success for the scripted expert in SimEnv', async () => {
    const result = await rollout(env, new ExpertPolicy(env), { task: 'pick_and_lift', seed: 11 }, { keepCamera: 'front' });
    expect(result.outcome).toBe('success');
    expect(result.success).toBe(true);
    expect(result.steps.length).toBe(3);
    expect(result.steps.at(-1)?.success).toBe(true);
    expect(result.steps[0].frame?.name).toBe('front');
  });

  it('reports failure at the limit for a policy that does nothing', async () => {
    const steps: number[] = [];
    const result = await rollout(env, stayPolicy, { task: 'reach_target', seed: 12 }, { maxSteps: 4, onStep: (s) => steps.push(s.step) });
    expect(result.outcome).toBe('limit');
    expect(result.success).toBe(false);
    expect(steps).toEqual([1, 2, 3, 4]);
  });

  it('ends with the reason when the planner fails, and keeps the program running', async () => {
    const far: Policy = { act: async (o) => ({ action: { ...(await stayPolicy.act(o, '')).action, positionMetres: [2, 2, 1] }, topVoxels: [] }) };
    const result = await rollout(env as Env, far, { task: 'reach_target', seed: 13 });
    expect(result.outcome).toBe('failure');
    expect(result.failureReason).toMatch(/planner: unreachable/);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0].refused).toBe(true);
  });

  it('goes on after a move the table stopped, and the expert then succeeds from where the arm is', async () => {
    const expert = new ExpertPolicy(env);
    let calls = 0;
    const policy: Policy = {
      act: async (o) => {
        calls++;
        if (calls === 1) return { action: { ...(await stayPolicy.act(o, '')).action, positionMetres: [0.5, 0, -0.1], ignoreCollisions: true }, topVoxels: [] };
        return expert.act({ ...o, step: o.step - 1 });
      },
    };
    const result = await rollout(env, policy, { task: 'pick_and_lift', seed: 11 });
    expect(result.steps[0].failureReason).toMatch(/execution: .*blocked/);
    expect(result.steps[0].refused).toBeUndefined();
    expect(result.outcome).toBe('success');
    expect(result.steps).toHaveLength(4);
  });

  it('with onRefusal retry, asks again avoiding the refused positions, and the expert then succeeds', async () => {
    // First a refused action (out of reach), then the expert: the episode goes on after the refusal.
    const expert = new ExpertPolicy(env);
    const avoided: number[][][] = [];
    let calls = 0;
    const policy: Policy = {
      act: async (o, goal, options) => {
        avoided.push((options?.avoidPositionsMetres ?? []).map((p) => [...p]));
        calls++;
        if (calls === 1) return { action: { ...(await stayPolicy.act(o, '')).action, positionMetres: [2, 2, 1] }, topVoxels: [] };
        return expert.act({ ...o, step: o.step - 1 });
      },
    };
    const result = await rollout(env, policy, { task: 'pick_and_lift', seed: 11 }, { onRefusal: 'retry' });
    expect(result.steps[0].refused).toBe(true);
    expect(result.steps[0].failureReason).toMatch(/planner: unreachable/);
    expect(avoided[1]).toEqual([[2, 2, 1]]);
    expect(avoided[2]).toEqual([]);
    expect(result.outcome).toBe('success');
    expect(result.steps).toHaveLength(4);
    await expect(rollout(env, policy, { task: 'pick_and_lift', seed: 11 }, { onRefusal: 'again' as 'retry' })).rejects.toThrow(/onRefusal/);
  });
});

describe('evaluate', () => {
  it('refuses evaluation seeds that overlap the demonstrations', () => {
    const demos = { pick_and_lift: '0-99', reach_target: '100000-100004' };
    expect(() => checkSeedOverlap(demos, ['pick_and_lift'], 25, [0])).toThrow(/seeds: seed block 0 reuses demonstration seed 0 of pick_and_lift/);
    expect(() => checkSeedOverlap(demos, ['reach_target'], 5, [2, 1])).toThrow(/block 1 reuses demonstration seed 100000/);
    expect(() => checkSeedOverlap(demos, ['pick_and_lift', 'reach_target'], 25, [3, 1000])).not.toThrow();
  });

  it('writes a table and a JSON file with the same numbers, and pictures', async () => {
    const out = join(dir, 'eval');
    const report = await evaluate(env, new ExpertPolicy(env), { tasks: ['reach_target', 'pick_and_lift'], episodes: 2, seeds: [7, 8], outDir: out, picturesPerTask: 1 });
    expect(report.tasks.map((t) => t.mean)).toEqual([1, 1]);
    const json = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as EvaluationReport;
    expect(json.tasks).toEqual(report.tasks);
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md).toBe(reportMarkdown(json));
    for (const t of json.tasks) expect(md).toContain(`| ${t.task} | ${(100 * t.mean).toFixed(1)} ± ${(100 * t.std).toFixed(1)} |`);
    expect(json.episodes.map((e) => e.seed)).toEqual([700000, 700001, 800000, 800001, 700000, 700001, 800000, 800001]);
    const pictures = json.episodes.filter((e) => e.picture);
    expect(pictures).toHaveLength(4);
    for (const e of pictures) expect((await stat(e.picture!)).size).toBeGreaterThan(1000);
    expect(json.goalSets).toEqual(['template']);
    expect(md).not.toMatch(/Paraphrased/);
  });

  it('with paraphrases, runs each episode again per paraphrase on the same seed and reports a table per goal set', async () => {
    const out = join(dir, 'eval-goals');
    const seen: string[] = [];
    const expert = new ExpertPolicy(env);
    // Succeeds with every goal but those that say "globe": the tables must tell the sets apart.
    const policy: Policy = {
      act: async (o, goal) => {
        if (o.step === 0) seen.push(goal);
        return goal.includes('globe') ? stayPolicy.act(o, goal) : expert.act(o);
      },
    };
    const paraphrases = { source: 'test-goals.json', tasks: { reach_target: ['touch the {colour} orb', 'go to the {colour} globe'], turn_tap: ['twist the {side} faucet'] } };
    const episodes: string[] = [];
    const report = await evaluate(env, policy, {
      tasks: ['reach_target', 'turn_tap'],
      episodes: 1,
      seeds: [7],
      outDir: out,
      picturesPerTask: 1,
      paraphrases,
      onEpisode: (e, done, total) => episodes.push(`${done}/${total} ${e.task} ${e.goalSet}`),
    });
    expect(episodes).toEqual(['1/5 reach_target template', '2/5 reach_target paraphrase 1', '3/5 reach_target paraphrase 2', '4/5 turn_tap template', '5/5 turn_tap paraphrase 1']);
    const colour = (await env.reset({ task: 'reach_target', seed: 700000 })).slots?.colour;
    const side = (await env.reset({ task: 'turn_tap', seed: 700000 })).slots?.side;
    expect(seen.slice(1)).toEqual([`touch the ${colour} orb`, `go to the ${colour} globe`, seen[3], `twist the ${side} faucet`]);
    expect(seen[0]).toContain(colour);
    expect(report.episodes.map((e) => e.seed)).toEqual([700000, 700000, 700000, 700000, 700000]);
    expect(report.goalSets).toEqual(['template', 'paraphrase 1', 'paraphrase 2']);
    expect(report.tasks.map((t) => t.mean)).toEqual([1, 1]);
    expect(report.tasks[0].byGoalSet).toMatchObject({ template: { mean: 1 }, 'paraphrase 1': { mean: 1 }, 'paraphrase 2': { mean: 0, bySeed: [0] } });
    expect(Object.keys(report.tasks[1].byGoalSet!)).toEqual(['template', 'paraphrase 1']);
    expect(report.meanByGoalSet).toEqual({ template: 1, 'paraphrase 1': 1, 'paraphrase 2': 0 });
    const json = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as EvaluationReport;
    expect(json.tasks).toEqual(report.tasks);
    expect(json.paraphraseSource).toBe('test-goals.json');
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md).toBe(reportMarkdown(json));
    expect(md).toContain("## Template goals (the environment's)");
    expect(md).toContain('| reach_target | 100.0 ± 0.0 | 100.0 |');
    expect(md).toContain('## Paraphrased goals (test-goals.json)');
    expect(md).toContain('| task | template | paraphrase 1 | paraphrase 2 |');
    expect(md).toContain('| reach_target | 100.0 | 100.0 | 0.0 |');
    expect(md).toContain('| turn_tap | 100.0 | 100.0 | – |');
    expect(md).toContain('| **mean** | **100.0** | **100.0** | **0.0** |');
    expect(md).toContain(`| reach_target | touch the ${colour} orb → touch the ${colour} ball(orb) | go to the ${colour} globe → go to the ${colour} ball(globe) |`);
    expect(json.episodes.filter((e) => e.picture).map((e) => e.picture!.replace(out, ''))).toEqual(
      ['template', 'paraphrase1', 'paraphrase2'].map((s) => join('/pictures', `reach_target-seed700000${s === 'template' ? '' : `-${s}`}.png`)).concat(
        ['template', 'paraphrase1'].map((s) => join('/pictures', `turn_tap-seed700000${s === 'template' ? '' : `-${s}`}.png`)),
      ),
    );
    await expect(evaluate(env, policy, { tasks: ['close_jar'], episodes: 1, seeds: [7], paraphrases })).rejects.toThrow(/paraphrases: test-goals.json has no paraphrase of close_jar/);
  });

  it('spreads per-block rates into mean and std', async () => {
    const report = await evaluate(env, stayPolicy, { tasks: ['reach_target'], episodes: 1, seeds: [9], maxSteps: 1 });
    expect(report.tasks[0]).toMatchObject({ task: 'reach_target', bySeed: [0], mean: 0, std: 0, episodes: 1 });
    await expect(evaluate(env, stayPolicy, { tasks: ['nope'], episodes: 1, seeds: [9] })).rejects.toThrow(/tasks: unknown task nope/);
    await expect(evaluate(env, stayPolicy, { tasks: ['reach_target'], episodes: 0, seeds: [9] })).rejects.toThrow(/episodes/);
  });
});
