import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { join } from 'node:path';
import { checkSeedOverlap, evaluate, loadParaphrases, loadPolicy, reportMarkdown, selectBackend, type Paraphrases } from '../../agent/index.js';
import { invalidArgument } from '../../core/index.js';
import { SimEnv, TASKS } from '../../sim/index.js';
import { backendOption, intOption, NO_SUB_VOXEL_FLAG, ON_REFUSAL_FLAG, parseTasks, progressWanted, refusalOption } from './options.js';

export function parseSeeds(value: unknown): number[] {
  const seeds = String(value).split(',').map((s) => Number(s.trim()));
  for (const s of seeds) if (!Number.isInteger(s) || s < 0) throw invalidArgument('--seeds', `must be non-negative integers, got ${String(value)}`);
  return seeds;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a trained agent in the simulator: per-task success table (Markdown + JSON) and pictures')
    .requiredOption('--checkpoint <run>', 'run folder (its newest checkpoint) or checkpoint folder')
    .option(...NO_SUB_VOXEL_FLAG)
    .option('--tasks <list>', 'all, or task names comma-separated', 'all')
    .option('--episodes <n>', 'episodes per task and seed block', '25')
    .option('--seeds <list>', 'seed blocks (episode k of block b has seed b*100000+k); must differ from the demos\'', '1000')
    .option('--max-steps <n>', 'agent actions per episode', '25')
    .option(...ON_REFUSAL_FLAG)
    .option('--pictures <n>', 'picture strips per task and block', '1')
    .option(
      '--goals <file>',
      'paraphrased goals (JSON, e.g. eval/paraphrases.json): every episode is run with the task\'s template goal and again with each paraphrase of its task, {placeholders} filled from the episode; success per goal set',
    )
    .option('--out <dir>', 'results folder (default RUN/eval)')
    .option('--backend <name>', 'tensorflow | webgpu | wasm | cpu')
    .option('--no-progress', 'no progress bar')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const tasks = parseTasks(o.tasks);
      const episodes = intOption(o.episodes, '--episodes', 1);
      const seeds = parseSeeds(o.seeds);
      let paraphrases: Paraphrases | undefined;
      if (o.goals !== undefined) {
        if (typeof o.goals !== 'string' || o.goals.length === 0) throw invalidArgument('--goals', 'give a paraphrase file');
        paraphrases = await loadParaphrases(o.goals, { tasks, slotNames: Object.fromEntries(TASKS.map((t) => [t.name, t.slotNames])) });
      }
      const goalSetsPerEpisode = (task: string): number => 1 + (paraphrases?.tasks[task]?.length ?? 0);
      const { name: backend } = await selectBackend(backendOption(o.backend));
      const { policy, config, dir } = await loadPolicy(String(o.checkpoint), { subVoxel: o.subVoxel !== false });
      const demoSeeds = JSON.parse(String(config.training.demoSeeds ?? '{}')) as Record<string, string>;
      checkSeedOverlap(demoSeeds, tasks, episodes, seeds);
      const total = tasks.reduce((a, t) => a + goalSetsPerEpisode(t), 0) * seeds.length * episodes;
      const goalNote = paraphrases ? `, each with the template goal and ${Math.max(...tasks.map(goalSetsPerEpisode)) - 1} paraphrases of ${paraphrases.source} (${total} rollouts)` : '';
      console.error(`evaluating ${dir} (step ${config.step}) on ${backend}: ${tasks.length} tasks x ${seeds.length} blocks x ${episodes} episodes${goalNote}`);
      const outDir = typeof o.out === 'string' ? o.out : join(String(o.checkpoint), 'eval');
      const env = new SimEnv();
      const bar = progressWanted(o.progress)
        ? new cliProgress.SingleBar({ format: `eval |{bar}| {value}/{total} ${paraphrases ? 'rollouts' : 'episodes'} | success {rate}% | {task} | ETA {eta_formatted}` }, cliProgress.Presets.shades_classic)
        : null;
      let successes = 0;
      bar?.start(total, 0, { rate: '0', task: '' });
      const report = await evaluate(env, policy, {
        tasks,
        episodes,
        seeds,
        maxSteps: intOption(o.maxSteps, '--max-steps', 1),
        onRefusal: refusalOption(o.onRefusal),
        picturesPerTask: intOption(o.pictures, '--pictures', 0),
        outDir,
        ...(paraphrases ? { paraphrases } : {}),
        onEpisode: (e, done) => {
          if (e.success) successes++;
          const rate = ((100 * successes) / done).toFixed(0);
          if (bar) bar.update(done, { rate, task: paraphrases ? `${e.task} (${e.goalSet})` : e.task });
          else console.error(`${done}: ${e.task} seed ${e.seed}${paraphrases ? ` ${e.goalSet}` : ''} ${e.success ? 'success' : e.outcome}${e.failureReason ? ` (${e.failureReason.slice(0, 80)})` : ''}`);
        },
      });
      bar?.stop();
      await env.close();
      console.log(reportMarkdown(report));
      console.log(`results: ${join(outDir, 'results.md')}, ${join(outDir, 'results.json')}, pictures in ${join(outDir, 'pictures')}`);
    });
}
