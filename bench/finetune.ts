/**
 * Teaching a shipped model a task from demonstrations recorded over rosbridge, measured.
 *
 * 1. Record: the simulator's robot (what `peract serve` runs) plays the arm; a teleoperator
 *    stand-in drives the scripted expert through /peract/execute while `Recorder` (what
 *    `peract record` runs) records it over the bridge. Expert failures are discarded and the next
 *    seed of the block is tried, until `--demos` episodes are saved.
 * 2. Fine-tune: `peract train --init MODEL --data RECORDED ...` (the CLI, as a user runs it).
 * 3. Evaluate the model it started from and the fine-tuned one with `peract eval` on held-out
 *    seeds of the task (one core each, at the same time), and print both as JSON lines.
 *
 * Every stage is kept under --out and skipped when rerun.
 *
 *   npx tsx bench/finetune.ts --task put_block_in_bowl   # the README's figure (defaults: 10 demos, 300 steps, lr 1e-4, block 7000, 100 episodes)
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { Recorder, startSimBridge } from '../bridge/index.js';
import { connectRos } from '../bridge/ros/roslib.js';
import { resetForTeleop, teleoperate } from '../bridge/sim-robot/sim-teleop.js';
import { episodeSeed, invalidArgument } from '../core/index.js';
import { runPeract } from './harness.js';
import { openDataset } from '../dataset/index.js';

const program = new Command('finetune')
  .description('record demonstrations of one task over the bridge, fine-tune a model on them, and compare success before and after on held-out seeds')
  .requiredOption('--task <name>', 'simulator task to teach')
  .option('--init <model>', 'the model to start from', 'models/peract-c2f')
  .option('--demos <n>', 'demonstrations to record', '10')
  .option('--record-seeds <block>', 'seed block the recorded episodes are drawn from', '8000')
  .option('--steps <n>', 'fine-tuning steps', '300')
  .option('--batch <n>', 'batch size', '16')
  .option('--lr <rate>', 'fine-tuning learning rate', '1e-4')
  .option('--train-args <args>', 'further `peract train` flags, space-separated (e.g. --no-augmentation)', '')
  .option('--seeds <block>', 'held-out evaluation seed block', '7000')
  .option('--episodes <n>', 'evaluation episodes', '100')
  .option('--out <dir>', 'folder for the recorded dataset, the run and the evaluations', 'runs/finetune')
  .parse();
const o = program.opts<{ task: string; init: string; demos: string; recordSeeds: string; steps: string; batch: string; lr: string; trainArgs: string; seeds: string; episodes: string; out: string }>();
const demos = Number(o.demos);
if (!Number.isInteger(demos) || demos < 1) throw invalidArgument('--demos', `must be an integer >= 1, got ${o.demos}`);
const recorded = join(o.out, `recorded-${o.task}`);
const run = join(o.out, `run-${o.task}-${o.steps}`);

async function savedCount(): Promise<number> {
  return openDataset(recorded).then(
    (d) => d.manifest.episodes.filter((e) => e.task === o.task).length,
    () => 0,
  );
}

async function record(): Promise<void> {
  const have = await savedCount();
  if (have >= demos) return;
  const bridge = await startSimBridge({ port: 0, task: o.task, rateHz: 20, viewer: false });
  const recorder = await Recorder.open({ robot: { url: bridge.url }, out: recorded, task: o.task, goal: o.task.replace(/_/g, ' ') });
  const ros = await connectRos(bridge.url);
  try {
    // Seeds already tried are kept in the dataset folder's log, so a rerun continues the block.
    const tried = new Set((await readFile(join(recorded, 'seeds.log'), 'utf8').catch(() => '')).split('\n'));
    for (let k = 0, saved = have; saved < demos && k < 1000; k++) {
      const seed = episodeSeed(Number(o.recordSeeds), k);
      if (tried.has(String(seed))) continue;
      const steps = await resetForTeleop(ros, o.task, seed);
      recorder.start(steps.goal);
      const result = await teleoperate(ros, steps, 0.5);
      if (result.success) {
        const outcome = await recorder.stop();
        if (outcome.saved) saved++;
        console.error(`seed ${seed}: ${outcome.saved ? `saved ep${outcome.episode}` : outcome.reason}`);
      } else {
        recorder.discard(`the expert failed (${result.failureReason ?? 'no success'})`);
        console.error(`seed ${seed}: expert failed, discarded`);
      }
      await appendFile(join(recorded, 'seeds.log'), `${seed}\n`);
    }
  } finally {
    ros.close();
    await recorder.close();
    await bridge.close();
  }
}

async function successOf(dir: string): Promise<number | null> {
  return readFile(join(dir, 'results.json'), 'utf8').then(
    (t) => (JSON.parse(t) as { mean: number }).mean,
    () => null,
  );
}

await record();
await runPeract(['train', '--init', o.init, '--data', recorded, '--out', run, '--steps', o.steps, '--batch', o.batch, '--replicas', '2', '--lr', o.lr, '--warmup', '20', '--checkpoint-every', '100', '--eval-every', '100', '--no-progress', ...o.trainArgs.split(' ').filter(Boolean)]);
const evalArgs = (checkpoint: string, out: string) => ['eval', '--checkpoint', checkpoint, '--tasks', o.task, '--episodes', o.episodes, '--seeds', o.seeds, '--out', out, '--no-progress', '--pictures', '0'];
const baseOut = join(o.out, `eval-base-${o.task}-${o.seeds}-${o.episodes}`);
const tunedOut = join(run, `eval-${o.seeds}-${o.episodes}`);
await Promise.all([
  (await successOf(baseOut)) === null ? runPeract(evalArgs(o.init, baseOut)) : Promise.resolve(),
  (await successOf(tunedOut)) === null ? runPeract(evalArgs(run, tunedOut)) : Promise.resolve(),
]);
const base = (await successOf(baseOut)) as number;
const tuned = (await successOf(tunedOut)) as number;
console.log(JSON.stringify({ bench: 'finetune', task: o.task, demos, steps: Number(o.steps), seeds: Number(o.seeds), episodes: Number(o.episodes), base, finetuned: tuned, ratio: base > 0 ? tuned / base : null }));
