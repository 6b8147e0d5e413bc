#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { packageVersion } from './package-root.js';

const program = new Command();
program
  .name('peract')
  .description('PerAct-style language-conditioned manipulation: perception, agent, simulator, bridge')
  .version(packageVersion())
  .showHelpAfterError()
  // Commander's own parse errors exit 1 by default; scripts get 2 for bad arguments, 0 for help.
  .exitOverride();
registerCommands(program);
for (const command of program.commands) command.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    // Typed errors name the field and the problem; print that, not a stack.
    const e = err as { code?: string; message?: string };
    console.error(`peract: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}`);
    process.exitCode = e.code === 'INVALID_ARGUMENT' ? 2 : 1;
  }
}
