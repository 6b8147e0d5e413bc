#!/usr/bin/env node
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

const program = new Command();
program
  .name('peract')
  .description('PerAct-style language-conditioned manipulation: perception, agent, simulator, bridge')
  .version('0.1.0')
  .showHelpAfterError();
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Typed errors name the field and the problem; print that, not a stack.
  const e = err as { code?: string; message?: string };
  console.error(`peract: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}`);
  process.exitCode = process.exitCode || 1;
}
