import type { Command } from 'commander';
import { registerAccuracy } from './accuracy.js';
import { registerAct } from './act.js';
import { registerCurves } from './curves.js';
import { registerDataset } from './dataset.js';
import { registerDemos } from './demos.js';
import { registerEval } from './eval.js';
import { registerExport } from './export.js';
import { registerRecord } from './record.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerStart } from './start.js';
import { registerTrain } from './train.js';

/** Every `peract` subcommand; each lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerStart(program);
  registerDemos(program);
  registerDataset(program);
  registerTrain(program);
  registerEval(program);
  registerAccuracy(program);
  registerAct(program);
  registerServe(program);
  registerRun(program);
  registerRecord(program);
  registerExport(program);
  registerCurves(program);
}
