import type { Command } from 'commander';
import { join } from 'node:path';
import { writeCurves } from '../../agent/index.js';

export function registerCurves(program: Command): void {
  program
    .command('curves')
    .description('draw the training curves of a run now (loss.png, accuracy.png), also while it trains')
    .requiredOption('--run <dir>', 'run folder (holds metrics.jsonl)')
    .action(async (o: Record<string, string>) => {
      await writeCurves(o.run);
      console.log(`wrote ${join(o.run, 'loss.png')} and ${join(o.run, 'accuracy.png')}`);
    });
}
