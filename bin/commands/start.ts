import type { Command } from 'commander';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the main job (the shipped agent on a handful of simulated episodes)')
    .action(() => {
      console.error('peract start: the shipped agent is not available yet (see README: status).');
      process.exitCode = 2;
    });
}
