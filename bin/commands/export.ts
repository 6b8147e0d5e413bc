import type { Command } from 'commander';
import { loadCheckpoint, resolveCheckpointDir, saveCheckpoint } from '../../agent/index.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write a policy-only checkpoint (weights and config, no optimizer state) for shipping or deployment')
    .requiredOption('--checkpoint <run>', 'run folder or checkpoint folder')
    .requiredOption('--out <dir>', 'destination folder')
    .action(async (o: Record<string, string>) => {
      const dir = await resolveCheckpointDir(o.checkpoint);
      const { config: c, model } = await loadCheckpoint(dir, { optimizer: false });
      await saveCheckpoint(o.out, {
        preset: c.preset,
        network: c.network,
        training: c.training,
        tokenizer: c.tokenizer,
        bounds: c.bounds,
        gridSize: c.gridSize,
        rotationResolutionDeg: c.rotationResolutionDeg,
        ...(c.episodeLength !== undefined ? { episodeLength: c.episodeLength } : {}),
        step: c.step,
        datasets: c.datasets,
        model,
        rngStates: c.rng,
        createdAt: c.createdAt,
      });
      console.log(`exported ${dir} (step ${c.step}) to ${o.out}`);
    });
}
