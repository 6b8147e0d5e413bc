import type { Command } from 'commander';
import { accuracyMarkdown, datasetAccuracy, loadPolicy, selectBackend } from '../../agent/index.js';
import { writeJsonAtomic } from '../../core/index.js';
import { backendOption, intOption } from './options.js';

export function registerAccuracy(program: Command): void {
  program
    .command('accuracy')
    .description('per-task accuracy of a trained network on demonstration datasets (no simulator): which part of the action it gets wrong')
    .requiredOption('--checkpoint <run>', 'run folder (its newest checkpoint) or checkpoint folder')
    .requiredOption('--data <dirs>', 'dataset folder(s), comma-separated; use demos the network was not trained on')
    .option('--per-task <n>', 'at most n pairs per task (default: all)')
    .option('--keyframe-states', 'only pairs observed at the start or at a keyframe (the states a rollout acts from)')
    .option('--json <file>', 'also write the table as JSON')
    .option('--backend <name>', 'tensorflow | webgpu | wasm | cpu')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const { name: backend } = await selectBackend(backendOption(o.backend));
      const { policy, dir, config } = await loadPolicy(String(o.checkpoint));
      console.error(`measuring ${dir} (step ${config.step}) on ${backend}`);
      const rows = await datasetAccuracy(policy, {
        data: String(o.data).split(',').filter(Boolean),
        ...(o.perTask !== undefined ? { perTask: intOption(o.perTask, '--per-task', 1) } : {}),
        keyframeStatesOnly: o.keyframeStates === true,
      });
      console.log(accuracyMarkdown(rows));
      if (typeof o.json === 'string') await writeJsonAtomic(o.json, rows);
    });
}
