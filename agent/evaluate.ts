import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { episodeSeed, invalidArgument, parseSeedRanges, writeFileAtomic, writeJsonAtomic, type Env, type Policy } from '../core/index.js';
import { writeRolloutPng } from './pictures/index.js';
import { rollout, type RolloutResult } from './rollout.js';

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
  onEpisode?: (e: EpisodeSummary, done: number, total: number) => void;
}

export interface EpisodeSummary {
  task: string;
  block: number;
  seed: number;
  variation: number;
  goal: string;
  success: boolean;
  outcome: RolloutResult['outcome'];
  steps: number;
  failureReason?: string;
  /** Actions the environment refused during the episode. */
  refusals: number;
  picture?: string;
}

export interface TaskResult {
  task: string;
  /** Success rate (0-1) per seed block, in `seeds` order. */
  bySeed: number[];
  mean: number;
  /** Standard deviation of the per-block rates (0 with one block). */
  std: number;
  episodes: number;
}

export interface EvaluationReport {
  tasks: TaskResult[];
  /** Mean over tasks of the per-task means. */
  mean: number;
  seeds: number[];
  episodesPerTask: number;
  seconds: number;
  onRefusal: 'end' | 'retry';
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
  const t0 = performance.now();
  const total = options.tasks.length * options.seeds.length * options.episodes;
  const episodes: EpisodeSummary[] = [];
  const pictures = options.picturesPerTask ?? 1;
  if (options.outDir) await mkdir(join(options.outDir, 'pictures'), { recursive: true });
  for (const task of options.tasks) {
    for (const block of options.seeds) {
      for (let k = 0; k < options.episodes; k++) {
        const seed = episodeSeed(block, k);
        const result = await rollout(env, policy, { task, seed }, {
          maxSteps: options.maxSteps,
          onRefusal: options.onRefusal,
          keepCamera: k < pictures && options.outDir ? 'front' : undefined,
        });
        let picture: string | undefined;
        if (k < pictures && options.outDir) {
          picture = join(options.outDir, 'pictures', `${task}-seed${seed}.png`);
          await writeRolloutPng(picture, result);
        }
        const summary: EpisodeSummary = {
          task,
          block,
          seed,
          variation: result.variation,
          goal: result.goal,
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
  const tasks = options.tasks.map((task): TaskResult => {
    const bySeed = options.seeds.map((block) => {
      const mine = episodes.filter((e) => e.task === task && e.block === block);
      return mine.filter((e) => e.success).length / mine.length;
    });
    const mean = bySeed.reduce((a, b) => a + b, 0) / bySeed.length;
    const std = Math.sqrt(bySeed.reduce((a, b) => a + (b - mean) ** 2, 0) / bySeed.length);
    return { task, bySeed, mean, std, episodes: options.episodes * options.seeds.length };
  });
  const report: EvaluationReport = {
    tasks,
    mean: tasks.reduce((a, t) => a + t.mean, 0) / tasks.length,
    seeds: options.seeds,
    episodesPerTask: options.episodes,
    seconds: (performance.now() - t0) / 1000,
    onRefusal: options.onRefusal ?? 'end',
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
  return [head, rule, ...rows, mean, '', `${report.episodesPerTask} episodes per task and block; ${refusalNote}; ${report.seconds.toFixed(0)} s.`, ''].join('\n');
}
