import { InvalidArgumentError, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { DEMO_SEED_BLOCK, generateDemos, MAX_DEMO_SEED, TASK_NAMES, type DemoProgress, type DemoSummary } from '../../sim/index.js';
import { parseTasks } from './options.js';

/** Exit codes of `peract demos`. */
const EXIT_INCOMPLETE = 1;
const EXIT_BAD_ARGUMENTS = 2;

interface DemosOptions {
  tasks: string[];
  episodes: number;
  out: string;
  seed: number;
  progress: boolean;
}

export function registerDemos(program: Command): void {
  program
    .command('demos')
    .description('generate expert demonstrations in the simulator and write them as a dataset (resumable)')
    .requiredOption('--tasks <list>', `comma-separated task names, or "all" (${TASK_NAMES.join(', ')})`, parseTasks)
    .requiredOption('--episodes <n>', 'episodes per task (a positive integer)', parsePositiveInteger)
    .requiredOption('--out <dir>', 'dataset folder (created if missing; finished episodes in it are skipped)')
    .option('--seed <s>', `selects the episode seeds [s*${DEMO_SEED_BLOCK}, (s+1)*${DEMO_SEED_BLOCK}) of every task (0-${MAX_DEMO_SEED})`, parseSeed, 0)
    .option('--no-progress', 'no progress bar: print one line per episode instead (also when stderr is not a terminal)')
    .addHelpText(
      'after',
      `
Episode k of a task uses the k-th seed of its block on which the scripted expert succeeds
(s*${DEMO_SEED_BLOCK} + k when none failed); every episode's seed is in the manifest.
Progress goes to stderr, the per-task summary to stdout.
Exit codes: 0 all episodes present, 1 some episode could not be produced, 2 bad arguments.`,
    )
    // Commander exits 1 on its own parse errors; bad arguments are 2 here, help stays 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_BAD_ARGUMENTS))
    .action(async (options: DemosOptions) => {
      const summary = await runDemos(options);
      process.stdout.write(summaryTable(summary));
      if (summary.missing > 0) process.exitCode = EXIT_INCOMPLETE;
    });
}

function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  if (n > DEMO_SEED_BLOCK) throw new InvalidArgumentError(`must be at most ${DEMO_SEED_BLOCK}`);
  return n;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n > MAX_DEMO_SEED) {
    throw new InvalidArgumentError(`must be an integer in [0, ${MAX_DEMO_SEED}]`);
  }
  return n;
}

async function runDemos(options: DemosOptions): Promise<DemoSummary> {
  const useBar = options.progress && process.stderr.isTTY === true;
  const total = options.tasks.length * options.episodes;
  const started = performance.now();
  let generated = 0;
  let generatingSeconds = 0;
  const bar = useBar
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'demos [{bar}] {value}/{total} episodes | {rate} ep/s | ETA {etaText} | {task}',
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(total, 0, { rate: '-', etaText: '-', task: options.tasks[0] });
  // Ctrl-C: give the terminal its cursor back; finished episodes are in the manifest, a rerun resumes.
  const onInterrupt = (): void => {
    bar?.stop();
    process.stderr.write('\ndemos: interrupted; rerun the same command to resume\n');
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);

  const onProgress = (event: DemoProgress): void => {
    if (event.status === 'written') {
      generated++;
      generatingSeconds += event.seconds;
    }
    // Rate and ETA from generated episodes only: skipped ones take no time and would flatter both.
    const rate = generatingSeconds > 0 ? generated / generatingSeconds : 0;
    const etaText = rate > 0 ? formatSeconds((total - event.done) / rate) : '-';
    if (bar) {
      bar.update(event.done, { rate: rate > 0 ? rate.toFixed(2) : '-', etaText, task: event.task });
      return;
    }
    const what =
      event.status === 'expert-failure' ? `expert failure (${event.failureReason ?? 'unknown'})` : event.status === 'skipped' ? 'skipped (already in the dataset)' : `written in ${event.seconds.toFixed(2)} s`;
    process.stderr.write(`[${event.done}/${event.total}] ${event.task} seed ${event.seed}: ${what}\n`);
  };

  try {
    return await generateDemos({ dir: options.out, tasks: options.tasks, episodes: options.episodes, seed: options.seed, onProgress });
  } finally {
    process.off('SIGINT', onInterrupt);
    bar?.stop();
    if (!bar) process.stderr.write(`demos: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}

/** A plain-text table, one row per task and a total row, then the expert failures. */
export function summaryTable(summary: DemoSummary): string {
  const header = ['task', 'written', 'skipped', 'expert failures', 'missing', 'seconds', 'seeds'];
  const seedRange = (seeds: number[]): string => (seeds.length === 0 ? '-' : `${Math.min(...seeds)}-${Math.max(...seeds)}`);
  const rows = summary.tasks.map((t) => [t.task, String(t.written), String(t.skipped), String(t.expertFailures), String(t.missing), t.seconds.toFixed(1), seedRange(t.seeds)]);
  rows.push(['total', String(summary.written), String(summary.skipped), String(summary.expertFailures), String(summary.missing), summary.seconds.toFixed(1), '']);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  for (const t of summary.tasks) for (const f of t.failures) out.push(`expert failure: ${t.task} seed ${f.seed}: ${f.reason}`);
  for (const t of summary.tasks) if (t.missing > 0) out.push(`incomplete: ${t.task} is missing ${t.missing} episode(s) after ${t.expertFailures} expert failures`);
  out.push(`dataset: ${summary.dir}`);
  return `${out.join('\n')}\n`;
}
