/**
 * Success against training time: for each of `--minutes`, the run's newest checkpoint saved by
 * then (metrics.jsonl's `seconds`) is evaluated with `peract eval` (`--jobs` at a time, one core
 * each), then the curve is drawn as a PNG and printed as JSON lines. Results are kept under
 * RUN/curve/ and reused, so a rerun only evaluates what is missing.
 *
 *   npx tsx bench/learning-curve.ts --run runs/c2f --minutes 15,30,60 --seeds 1000 --episodes 25
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { writeTrainingCurvePng } from '../viz/index.js';
import { invalidArgument } from '../core/index.js';
import { runPeract } from './harness.js';

interface Point {
  minutes: number;
  step: number;
  checkpoint: string;
  mean: number;
  perTask: Record<string, number>;
}

async function checkpointAt(run: string, minutes: number): Promise<{ step: number; dir: string; minutes: number }> {
  const rows = (await readFile(join(run, 'metrics.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { step: number; seconds: number });
  const secondsAt = new Map(rows.map((r) => [r.step, r.seconds]));
  const saved = (await readdir(join(run, 'checkpoints')))
    .map((name) => ({ name, step: Number(name.replace('step-', '')) }))
    .filter((c) => Number.isInteger(c.step) && secondsAt.has(c.step))
    .sort((a, b) => a.step - b.step);
  const within = saved.filter((c) => (secondsAt.get(c.step) ?? Infinity) <= minutes * 60 + 1);
  const pick = within.at(-1);
  if (!pick) throw invalidArgument('--minutes', `${run} has no checkpoint saved within ${minutes} minutes`);
  return { step: pick.step, dir: join(run, 'checkpoints', pick.name), minutes: (secondsAt.get(pick.step) ?? 0) / 60 };
}

function evalProcess(checkpoint: string, out: string, seeds: string, episodes: number): Promise<void> {
  return runPeract(['eval', '--checkpoint', checkpoint, '--seeds', seeds, '--episodes', String(episodes), '--out', out, '--no-progress', '--pictures', '0']);
}

const program = new Command('learning-curve')
  .description('success rate of a run\'s checkpoints at given training minutes (peract eval on each), as JSON lines and a PNG')
  .requiredOption('--run <dir>', 'training run folder (checkpoints/, metrics.jsonl)')
  .option('--minutes <list>', 'training minutes to evaluate at', '15,30,60')
  .option('--seeds <list>', 'evaluation seed blocks', '1000')
  .option('--episodes <n>', 'episodes per task and block', '25')
  .option('--jobs <n>', 'evaluations at a time (one core each)', '2')
  .option('--png <file>', 'the picture (default RUN/curve/success.png)')
  .option('--reference <series>', 'another measured curve to draw beside it, "name:minutes=percent,minutes=percent"')
  .parse();
const o = program.opts<{ run: string; minutes: string; seeds: string; episodes: string; jobs: string; png?: string; reference?: string }>();
const minutes = o.minutes.split(',').map(Number);
if (minutes.some((m) => !(m > 0))) throw invalidArgument('--minutes', `must be positive numbers, got ${o.minutes}`);
const episodes = Number(o.episodes);
const jobs = Math.max(1, Number(o.jobs));
const picks = await Promise.all(minutes.map((m) => checkpointAt(o.run, m)));
const curveDir = join(o.run, 'curve');
await mkdir(curveDir, { recursive: true });
const outOf = (step: number): string => join(curveDir, `step-${step}-seeds-${o.seeds.replace(/,/g, '_')}-episodes-${episodes}`);
const missing: typeof picks = [];
for (const p of picks) {
  const done = await readFile(join(outOf(p.step), 'results.json'), 'utf8').then(
    () => true,
    () => false,
  );
  if (!done && !missing.some((m) => m.step === p.step)) missing.push(p);
}
for (let i = 0; i < missing.length; i += jobs) await Promise.all(missing.slice(i, i + jobs).map((p) => evalProcess(p.dir, outOf(p.step), o.seeds, episodes)));
const points: Point[] = [];
for (const [i, p] of picks.entries()) {
  const report = JSON.parse(await readFile(join(outOf(p.step), 'results.json'), 'utf8')) as { mean: number; tasks: { task: string; mean: number }[] };
  const point = { minutes: minutes[i], step: p.step, checkpoint: p.dir, mean: report.mean, perTask: Object.fromEntries(report.tasks.map((t) => [t.task, t.mean])) };
  points.push(point);
  process.stdout.write(`${JSON.stringify({ name: `learning-curve/${o.run}/${minutes[i]}min`, median: 100 * point.mean, unit: 'percent', step: p.step, savedAtMinutes: +p.minutes.toFixed(1), seeds: o.seeds, episodes, perTask: point.perTask })}\n`);
}
const png = o.png ?? join(curveDir, 'success.png');
const series = [{ name: basename(o.run), points: points.map((p) => [p.minutes, 100 * p.mean] as [number, number]) }];
if (o.reference) {
  const [name, list] = o.reference.split(':');
  const refPoints = (list ?? '').split(',').map((pair) => pair.split('=').map(Number) as [number, number]);
  if (!name || refPoints.length === 0 || refPoints.some((p) => p.length !== 2 || !p.every(Number.isFinite))) {
    throw invalidArgument('--reference', `must be "name:minutes=percent,...", got ${o.reference}`);
  }
  series.push({ name, points: refPoints });
}
await writeTrainingCurvePng(png, series, {
  title: `mean success, seed blocks ${o.seeds}`,
  yLabel: 'success %',
  xLabel: 'training minutes',
  yRange: [0, 100],
});
console.error(`curve: ${png}`);
