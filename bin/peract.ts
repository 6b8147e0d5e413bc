#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command();
program
  .name('peract')
  .description('PerAct-style language-conditioned manipulation: perception, agent, simulator, bridge')
  .version('0.1.0');

program
  .command('start')
  .description('run the main job (the shipped agent on a handful of simulated episodes)')
  .action(() => {
    console.error('peract start: the shipped agent is not available yet (see README: status).');
    process.exitCode = 2;
  });

await program.parseAsync(process.argv);
