import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { episodeSeed, invalidArgument, parseSeedRanges, writeFileAtomic, writeJsonAtomic, type Env, type Policy } from '../../core/index.js';
import { describeReading, readWords } from '../../perception/index.js';
import { fillParaphrase, paraphraseSetCount, type Paraphrases } from './paraphrases.js';
import { writeRolloutPng } from '../report/index.js';
import { rollout, type RolloutResult } from './rollout.js';

/** The goal set of the environment's own (template) goals. */
export const TEMPLATE_GOALS = 'template';
/** The name of paraphrase set k (1-based). */
export const paraphraseSetName = (k: number): string => `paraphrase ${k}`;

export interface EvaluateOptions {
  tasks: string[];
  /** Episodes per task and seed block. */
  episodes: number;
  /** Seed blocks (`episodeSeed(block, k)`); each block gives one success rate per task. */
  seeds: number[];
  maxSteps?: number;
  /** See RolloutOptions.onRefusal; default 'end' (PerAct's protocol). */
  onRefusal?: 'end' | 'retry';
  /** Write a picture strip for the first this-many episodes of each task and block. Default 1. */
  picturesPerTask?: number;
  /** Folder for results.json, results.md and pictures/. */
  outDir?: string;
  /**
   * Paraphrased goals (agent/evaluation/paraphrases.ts): every episode is run with the environment's goal
   * and again, on the same seed, with each paraphrase of its task in its place, filled from the
   * episode's slots; success is reported per goal set.
   */
  paraphrases?: Paraphrases;
  onEpisode?: (e: EpisodeSummary, done: number, total: number) => void;
}

export interface EpisodeSummary {
  task: string;
  block: number;
  seed: number;
  variation: number;
  /** The goal the policy was given. */
  goal: string;
  /** Which goals: 'template' (the environment's) or 'paraphrase k'. */
  goalSet: string;
  success: boolean;
  outcome: RolloutResult['outcome'];
  steps: number;
  failureReason?: string;
  /** Actions the environment refused during the episode. */
  refusals: number;
  picture?: string;
}

export interface SuccessRates {
  /** Success rate (0-1) per seed block, in `seeds` order. */
  bySeed: number[];
  mean: number;
  /** Standard deviation of the per-block rates (0 with one block). */
  std: number;
  episodes: number;
}

/** A task's success with the environment's goals (the top-level numbers) and, with paraphrases, per goal set. */
export interface TaskResult extends SuccessRates {
  task: string;
  /** Goal set -> rates, for every set this task has (template included); only with paraphrases. */
  byGoalSet?: Record<string, SuccessRates>;
  /** Paraphrase k-1 of this task, unfilled; only with paraphrases. */
  paraphrases?: string[];
}

export interface EvaluationReport {
  tasks: TaskResult[];
  /** Mean over tasks of the per-task means. */
  mean: number;
  seeds: number[];
  episodesPerTask: number;
  seconds: number;
  onRefusal: 'end' | 'retry';
  /** 'template', then 'paraphrase 1', ... with paraphrases. */
  goalSets: string[];
  /** Goal set -> mean over the tasks that have it. */
  meanByGoalSet: Record<string, number>;
  /** The paraphrase file, when there was one. */
  paraphraseSource?: string;
  episodes: EpisodeSummary[];
}

/**
 * Refuses an evaluation that would replay a demonstration's layout: `demoSeeds` maps task to the
 * seeds its training demos used (from the checkpoint).
 */
export function checkSeedOverlap(demoSeeds: Record<string, string>, tasks: string[], episodes: number, seeds: number[]): void {
  for (const task of tasks) {
    const used = demoSeeds[task] ? parseSeedRanges(demoSeeds[task]) : new Set<number>();
    for (const block of seeds) {
      for (let k = 0; k < episodes; k++) {
        const s = episodeSeed(block, k);
        if (used.has(s)) {
          throw invalidArgument('seeds', `seed block ${block} reuses demonstration seed ${s} of ${task}; pick evaluation seeds the demos did not use (demos: ${demoSeeds[task]})`);
        }
      }
    }
  }
}

/** Runs every task x seed block x episode and tabulates success. */
export async function evaluate(env: Env, policy: Policy, options: EvaluateOptions): Promise<EvaluationReport> {
  if (!Number.isInteger(options.episodes) || options.episodes < 1) throw invalidArgument('episodes', `must be an integer >= 1, got ${options.episodes}`);
  if (options.seeds.length === 0) throw invalidArgument('seeds', 'give at least one seed block');
  for (const t of options.tasks) if (!env.tasks.includes(t)) throw invalidArgument('tasks', `unknown task ${t}; known: ${env.tasks.join(', ')}`);
  const paraphrases = options.paraphrases;
  for (const t of options.tasks) {
    if (paraphrases && !paraphrases.tasks[t]?.length) throw invalidArgument('paraphrases', `${paraphrases.source} has no paraphrase of ${t}`);
  }
  const setCount = paraphrases ? paraphraseSetCount(paraphrases, options.tasks) : 0;
  const goalSets = [TEMPLATE_GOALS, ...Array.from({ length: setCount }, (_, i) => paraphraseSetName(i + 1))];
  // Per task: the goal sets it has (template, then one per paraphrase) and how each fills its goal.
  const setsOf = (task: string): { name: string; paraphrase?: string }[] => [
    { name: TEMPLATE_GOALS },
    ...(paraphrases?.tasks[task] ?? []).map((paraphrase, i) => ({ name: paraphraseSetName(i + 1), paraphrase })),
  ];
  const t0 = performance.now();
  const total = options.tasks.reduce((a, task) => a + setsOf(task).length, 0) * options.seeds.length * options.episodes;
  const episodes: EpisodeSummary[] = [];
  const pictures = options.picturesPerTask ?? 1;
  if (options.outDir) await mkdir(join(options.outDir, 'pictures'), { recursive: true });
  for (const task of options.tasks) {
    for (const block of options.seeds) {
      for (let k = 0; k < options.episodes; k++) {
        const seed = episodeSeed(block, k);
        for (const [setIndex, set] of setsOf(task).entries()) {
          const field = `${paraphrases?.source ?? 'paraphrases'}: tasks.${task}[${setIndex - 1}]`;
          const result = await rollout(env, policy, { task, seed }, {
            maxSteps: options.maxSteps,
            onRefusal: options.onRefusal,
            keepCamera: k < pictures && options.outDir ? 'front' : undefined,
            ...(set.paraphrase !== undefined ? { goal: (start) => fillParaphrase(set.paraphrase!, start.slots, field) } : {}),
          });
          let picture: string | undefined;
          if (k < pictures && options.outDir) {
            picture = join(options.outDir, 'pictures', `${task}-seed${seed}${setIndex === 0 ? '' : `-paraphrase${setIndex}`}.png`);
            await writeRolloutPng(picture, result);
          }
          const summary: EpisodeSummary = {
            task,
            block,
            seed,
            variation: result.variation,
            goal: result.goal,
            goalSet: set.name,
            success: result.success,
            outcome: result.outcome,
            steps: result.steps.length,
            refusals: result.steps.filter((st) => st.refused).length,
            ...(result.failureReason ? { failureReason: result.failureReason } : {}),
            ...(picture ? { picture } : {}),
          };
          episodes.push(summary);
          options.onEpisode?.(summary, episodes.length, total);
        }
      }
    }
  }
  const rates = (task: string, goalSet: string): SuccessRates => {
    const bySeed = options.seeds.map((block) => {
      const mine = episodes.filter((e) => e.task === task && e.block === block && e.goalSet === goalSet);
      return mine.filter((e) => e.success).length / mine.length;
    });
    const mean = bySeed.reduce((a, b) => a + b, 0) / bySeed.length;
    const std = Math.sqrt(bySeed.reduce((a, b) => a + (b - mean) ** 2, 0) / bySeed.length);
    return { bySeed, mean, std, episodes: options.episodes * options.seeds.length };
  };
  const tasks = options.tasks.map((task): TaskResult => {
    if (!paraphrases) return { task, ...rates(task, TEMPLATE_GOALS) };
    const byGoalSet = Object.fromEntries(setsOf(task).map((s) => [s.name, rates(task, s.name)]));
    return { task, ...byGoalSet[TEMPLATE_GOALS], byGoalSet, paraphrases: [...paraphrases.tasks[task]] };
  });
  const meanByGoalSet = Object.fromEntries(
    goalSets.map((name) => {
      const having = tasks.filter((t) => name === TEMPLATE_GOALS || t.byGoalSet?.[name]);
      return [name, having.reduce((a, t) => a + (name === TEMPLATE_GOALS ? t.mean : t.byGoalSet![name].mean), 0) / having.length];
    }),
  );
  const report: EvaluationReport = {
    tasks,
    mean: tasks.reduce((a, t) => a + t.mean, 0) / tasks.length,
    seeds: options.seeds,
    episodesPerTask: options.episodes,
    seconds: (performance.now() - t0) / 1000,
    onRefusal: options.onRefusal ?? 'end',
    goalSets,
    meanByGoalSet,
    ...(paraphrases ? { paraphraseSource: paraphrases.source } : {}),
    episodes,
  };
  if (options.outDir) {
    await writeJsonAtomic(join(options.outDir, 'results.json'), report);
    await writeFileAtomic(join(options.outDir, 'results.md'), reportMarkdown(report));
  }
  return report;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}`;

/** The success table as Markdown (the same numbers as results.json). */
export function reportMarkdown(report: EvaluationReport): string {
  const head = `| task | success % (mean ± std over ${report.seeds.length} seed block${report.seeds.length > 1 ? 's' : ''}) | ${report.seeds.map((s) => `block ${s}`).join(' | ')} |`;
  const rule = `| --- | --- | ${report.seeds.map(() => '---').join(' | ')} |`;
  const rows = report.tasks.map((t) => `| ${t.task} | ${pct(t.mean)} ± ${pct(t.std)} | ${t.bySeed.map(pct).join(' | ')} |`);
  const mean = `| **mean** | **${pct(report.mean)}** | ${report.seeds.map((_, i) => pct(report.tasks.reduce((a, t) => a + t.bySeed[i], 0) / report.tasks.length)).join(' | ')} |`;
  const refusals = report.episodes.reduce((a, e) => a + e.refusals, 0);
  const refusalNote = report.onRefusal === 'retry' ? `a refused action was retried (${refusals} refusals)` : `a refused action ended its episode (${refusals} refusals)`;
  const per = report.goalSets.length > 1 ? 'per task and block, each run once per goal set' : 'per task and block';
  const footer = `${report.episodesPerTask} episodes ${per}; ${refusalNote}; ${report.seconds.toFixed(0)} s.`;
  if (report.goalSets.length <= 1) return [head, rule, ...rows, mean, '', footer, ''].join('\n');
  return ['## Template goals (the environment\'s)', '', head, rule, ...rows, mean, '', ...goalSetTables(report), footer, ''].join('\n');
}

/** The paraphrase tables: success per task and goal set, then each paraphrase as the policy read it. */
function goalSetTables(report: EvaluationReport): string[] {
  const sets = report.goalSets;
  const rate = (r: SuccessRates | undefined): string => (r ? (report.seeds.length > 1 ? `${pct(r.mean)} ± ${pct(r.std)}` : pct(r.mean)) : '–');
  const success = [
    `## Paraphrased goals (${report.paraphraseSource ?? 'paraphrases'})`,
    '',
    `Success % per goal set: every episode was run with the environment's goal and, on the same seed, with each paraphrase of its task${report.seeds.length > 1 ? ` (mean ± std over ${report.seeds.length} seed blocks)` : ''}.`,
    '',
    `| task | ${sets.join(' | ')} |`,
    `| --- | ${sets.map(() => '---').join(' | ')} |`,
    ...report.tasks.map((t) => `| ${t.task} | ${sets.map((s) => rate(t.byGoalSet?.[s])).join(' | ')} |`),
    `| **mean** | ${sets.map((s) => `**${pct(report.meanByGoalSet[s])}**`).join(' | ')} |`,
    '',
  ];
  const paraphraseSets = sets.slice(1);
  const readings = [
    'The paraphrases, filled for each task\'s first episode, and how the `words-v1` tokenizer reads them (a replaced word as `synonym(word)`, a hashed one as `?word`):',
    '',
    `| task | ${paraphraseSets.join(' | ')} |`,
    `| --- | ${paraphraseSets.map(() => '---').join(' | ')} |`,
    ...report.tasks.map((t) => {
      const cells = paraphraseSets.map((s) => {
        const e = report.episodes.find((x) => x.task === t.task && x.goalSet === s);
        return e ? `${e.goal} → ${describeReading(readWords(e.goal))}` : '–';
      });
      return `| ${t.task} | ${cells.join(' | ')} |`;
    }),
    '',
  ];
  return [...success, ...readings];
}
