import type { Command } from 'commander';
import { registerStart } from './start.js';

/** Every `peract` subcommand; each lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerStart(program);
}
