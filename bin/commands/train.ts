import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { train, PRESETS, type TrainOptions } from '../../agent/index.js';
import { invalidArgument } from '../../core/index.js';
import { checkBounds } from '../../perception/index.js';
import { backendOption, intOption, numberOption, progressWanted } from './options.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train one multi-task agent by behaviour cloning on demonstration datasets (resumes when rerun)')
    .requiredOption(
      '--data <dirs>',
      'dataset folder(s), comma-separated (from `peract demos` or a robot), each optionally DIR:WEIGHT (a number > 0, default 1): ' +
        'with weights a dataset is drawn in proportion to its weight, e.g. data/sim:1,data/recorded:3',
    )
    .requiredOption('--out <run>', 'run folder: checkpoints, metrics.jsonl, loss.png, accuracy.png')
    .option(
      '--init <checkpoint>',
      'fine-tune: start from this checkpoint or model folder (e.g. models/peract-c2f) or run folder; weights, network, tokenizer and bounds come from it, ' +
        'words of new goals are added to its vocabulary, steps and the --lr schedule start at 0 (not with --preset, --network, --bounds)',
    )
    .option('--init-optimizer', "with --init: resume the init checkpoint's optimizer state instead of starting the optimizer fresh")
    .option('--preset <name>', `network preset: ${Object.keys(PRESETS).join(', ')} (c2f: coarse-to-fine, the CPU default) (default: "c2f")`)
    .option('--steps <n>', 'training steps', '3000')
    .option('--batch <n>', 'batch size', '8')
    .option('--seed <n>', 'seed of weights, batches, augmentation and dropout', '0')
    .option('--optimizer <kind>', 'adam (default: learns ~10x faster here, see README) or lamb (PerAct)', 'adam')
    .option('--lr <rate>', 'learning rate', '1e-3')
    .option('--schedule <kind>', 'learning-rate schedule: cosine (warm up, decay to 5% at --steps) or constant', 'cosine')
    .option('--warmup <n>', 'linear warm-up steps (default 100 with cosine, 0 with constant)')
    .option('--translation-sigma <voxels>', 'Gaussian spread of the translation target in voxels (0 = one-hot, as PerAct)', '1')
    .option('--replicas <n>', 'training threads (wasm/cpu): n > 1 computes each batch in n shares on n cores; --batch must be a multiple', '1')
    .option('--rotation-sigma <bins>', 'circular Gaussian spread of each rotation target in bins (0 = one-hot, as PerAct)', '1')
    .option('--val <dirs>', 'held-out dataset folder(s): accuracy on them is logged as val_* and drawn in accuracy.png')
    .option('--weight-decay <w>', 'weight decay', '1e-6')
    .option('--checkpoint-every <n>', 'save a checkpoint every n steps', '250')
    .option('--eval-every <n>', 'measure training-set accuracy every n steps', '50')
    .option('--no-augmentation', 'turn off the SE(3) augmentation')
    .option('--fine-jitter <metres>', 'coarse-to-fine presets: the fine cube is centred on the target plus up to this offset per axis (default: one coarse voxel)')
    .option('--max-minutes <m>', 'wall-clock budget: stop with a checkpoint when spent (rerun to continue)')
    .option('--network <json>', 'preset overrides as JSON, e.g. \'{"numLatents":64}\'')
    .option('--bounds <x0,y0,z0,x1,y1,z1>', 'workspace the voxel grid covers, metres, world frame (default: the tabletop bounds, README)')
    .option('--backend <name>', 'tensorflow | webgpu | wasm | cpu (default: the best available; env PERACT_BACKEND)')
    .option('--no-progress', 'no progress bar (one line per checkpoint instead)')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const init = typeof o.init === 'string' ? o.init : undefined;
      if (init !== undefined) {
        for (const flag of ['preset', 'network', 'bounds'] as const) {
          if (o[flag] !== undefined) throw invalidArgument(`--${flag}`, `cannot be given with --init: the network, tokenizer and agent settings come from ${init}`);
        }
      } else if (o.initOptimizer === true) {
        throw invalidArgument('--init-optimizer', 'needs --init (the checkpoint whose optimizer state to resume)');
      }
      const preset = String(o.preset ?? 'c2f');
      if (!(preset in PRESETS)) throw invalidArgument('--preset', `unknown preset ${preset}; known: ${Object.keys(PRESETS).join(', ')}`);
      const optimizer = String(o.optimizer);
      if (optimizer !== 'lamb' && optimizer !== 'adam') throw invalidArgument('--optimizer', `must be lamb or adam, got ${optimizer}`);
      let network: TrainOptions['network'];
      if (typeof o.network === 'string') {
        try {
          network = JSON.parse(o.network) as TrainOptions['network'];
        } catch {
          throw invalidArgument('--network', 'must be a JSON object of preset fields');
        }
      }
      const steps = intOption(o.steps, '--steps', 1);
      const bounds = typeof o.bounds === 'string' ? checkBounds(o.bounds.split(',').map(Number), '--bounds') : undefined;
      const schedule = String(o.schedule);
      if (schedule !== 'cosine' && schedule !== 'constant') throw invalidArgument('--schedule', `must be cosine or constant, got ${schedule}`);
      const bar = progressWanted(o.progress)
        ? new cliProgress.SingleBar(
            { format: 'train |{bar}| {value}/{total} steps | loss {loss} | {rate} steps/s | data wait {wait}% | ETA {eta_formatted}', etaBuffer: 50 },
            cliProgress.Presets.shades_classic,
          )
        : null;
      let started = false;
      const data = parseDataList(String(o.data));
      const result = await train({
        data: data.dirs,
        ...(data.weights ? { dataWeights: data.weights } : {}),
        out: String(o.out),
        ...(init !== undefined ? { init, initOptimizer: o.initOptimizer === true } : { preset: preset as TrainOptions['preset'], network }),
        onNote: (line) => console.error(line),
        ...(bounds ? { bounds } : {}),
        steps,
        batch: intOption(o.batch, '--batch', 1),
        seed: intOption(o.seed, '--seed', 0),
        optimizer,
        learningRate: numberOption(o.lr, '--lr'),
        schedule,
        ...(o.warmup !== undefined ? { warmupSteps: intOption(o.warmup, '--warmup', 0) } : {}),
        translationSigmaVoxels: numberOption(o.translationSigma, '--translation-sigma'),
        rotationSigmaBins: numberOption(o.rotationSigma, '--rotation-sigma'),
        ...(typeof o.val === 'string' ? { validation: o.val.split(',').filter(Boolean) } : {}),
        weightDecay: numberOption(o.weightDecay, '--weight-decay'),
        checkpointEvery: intOption(o.checkpointEvery, '--checkpoint-every', 1),
        evalEvery: intOption(o.evalEvery, '--eval-every', 1),
        augmentation: o.augmentation !== false,
        ...(o.fineJitter !== undefined ? { fineJitterMetres: numberOption(o.fineJitter, '--fine-jitter') } : {}),
        replicas: intOption(o.replicas, '--replicas', 1),
        ...(o.maxMinutes !== undefined ? { maxSeconds: 60 * numberOption(o.maxMinutes, '--max-minutes') } : {}),
        backend: backendOption(o.backend),
        onProgress: (p) => {
          const fields = { loss: p.loss.toFixed(3), rate: p.stepsPerSec.toFixed(2), wait: (100 * p.dataWaitFraction).toFixed(0) };
          if (bar) {
            if (!started) bar.start(p.steps, p.step - 1, fields);
            started = true;
            bar.update(p.step, fields);
          } else if (p.step % 50 === 0 || p.step === p.steps) {
            console.error(`step ${p.step}/${p.steps} loss ${fields.loss} ${fields.rate} steps/s data wait ${fields.wait}%`);
          }
        },
      });
      bar?.stop();
      console.log(
        `trained ${result.startStep} -> ${result.step} steps on ${result.backend} in ${result.seconds.toFixed(0)} s; ` +
          `final loss ${result.finalLoss.toFixed(4)}; probe accuracy voxel ${(100 * result.accuracy.translation).toFixed(0)}% ` +
          `rotation ${(100 * result.accuracy.rotation).toFixed(0)}% gripper ${(100 * result.accuracy.gripper).toFixed(0)}%; ` +
          `data wait ${(100 * result.dataWaitFraction).toFixed(1)}% of the time`,
      );
      const val = result.validationAccuracy;
      if (val) {
        console.log(
          `held-out accuracy: voxel ${(100 * val.translation).toFixed(0)}% (within one voxel ${(100 * val.translationNear).toFixed(0)}%) ` +
            `rotation ${(100 * val.rotation).toFixed(0)}% gripper ${(100 * val.gripper).toFixed(0)}% collision ${(100 * val.collision).toFixed(0)}%`,
        );
      }
      if (result.step < steps && schedule === 'cosine') {
        console.log(
          `stopped by --max-minutes at step ${result.step} of ${steps}, before the cosine schedule reached its floor: ` +
            `rerun the same command to finish, or size --steps to the time (${(result.seconds / Math.max(1, result.step - result.startStep)).toFixed(2)} s a step here)`,
        );
      }
      console.log(`run folder: ${result.runDir} (loss.png, accuracy.png, metrics.jsonl, checkpoints/)`);
    });
}

/**
 * `--data a,b:3`: folders, each optionally followed by `:WEIGHT` (a number > 0). Weights are
 * returned only when at least one is given (the others count 1); without any, batches draw tasks
 * uniformly across all folders.
 */
export function parseDataList(value: string): { dirs: string[]; weights?: number[] } {
  const items = value.split(',').filter(Boolean);
  if (items.length === 0) throw invalidArgument('--data', 'give at least one dataset folder');
  const dirs: string[] = [];
  const weights: number[] = [];
  let weighted = false;
  for (const item of items) {
    // The last colon followed by a number: a folder name may hold colons of its own.
    const match = /^(.+):([^:/\\]*)$/.exec(item);
    if (match && /^[\d.eE+-]+$/.test(match[2])) {
      const weight = Number(match[2]);
      if (!(Number.isFinite(weight) && weight > 0)) throw invalidArgument('--data', `weight of ${match[1]} must be a number > 0, got ${match[2]}`);
      dirs.push(match[1]);
      weights.push(weight);
      weighted = true;
    } else {
      dirs.push(item);
      weights.push(1);
    }
  }
  return weighted ? { dirs, weights } : { dirs };
}
