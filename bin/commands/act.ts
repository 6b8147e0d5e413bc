import type { Command } from 'commander';
import { join } from 'node:path';
import { loadPolicy, rollout, selectBackend, writeRolloutPng } from '../../agent/index.js';
import { SimEnv } from '../../sim/index.js';
import { backendOption, intOption, NO_SUB_VOXEL_FLAG, ON_REFUSAL_FLAG, parseTasks, refusalOption } from './options.js';
import { SHIPPED_MODEL } from './start.js';

export function registerAct(program: Command): void {
  program
    .command('act')
    .description('run one simulated episode with a goal typed by the user')
    .option('--checkpoint <run>', 'run folder or checkpoint folder', SHIPPED_MODEL)
    .option(...NO_SUB_VOXEL_FLAG)
    .requiredOption('--task <name>', 'the scene to load')
    .option('--goal <text>', 'the language goal (default: the task\'s own goal)')
    .option('--seed <n>', 'episode seed (layout)', '900000')
    .option('--variation <n>', 'task variation')
    .option('--max-steps <n>', 'agent actions', '25')
    .option(...ON_REFUSAL_FLAG)
    .option('--picture <png>', 'where to write the episode strip', 'act.png')
    .option('--backend <name>', 'tensorflow | webgpu | wasm | cpu')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const [task] = parseTasks(o.task);
      await selectBackend(backendOption(o.backend));
      const { policy } = await loadPolicy(String(o.checkpoint), { subVoxel: o.subVoxel !== false });
      const env = new SimEnv();
      const result = await rollout(
        env,
        policy,
        { task, seed: intOption(o.seed, '--seed', 0), ...(o.variation !== undefined ? { variation: intOption(o.variation, '--variation', 0) } : {}) },
        {
          maxSteps: intOption(o.maxSteps, '--max-steps', 1),
          onRefusal: refusalOption(o.onRefusal),
          keepCamera: 'front',
          ...(typeof o.goal === 'string' && o.goal ? { goal: o.goal } : {}),
          onStep: (s) => {
            const p = s.action.positionMetres.map((v) => v.toFixed(3)).join(', ');
            console.log(`step ${s.step}: move to [${p}] gripper ${s.action.gripperOpen ? 'open' : 'closed'}${s.action.ignoreCollisions ? ', straight' : ''}${s.failureReason ? ` -> ${s.failureReason}` : ''}`);
          },
        },
      );
      await env.close();
      const picture = String(o.picture ?? join('.', 'act.png'));
      await writeRolloutPng(picture, result);
      console.log(`goal: ${result.goal}\noutcome: ${result.outcome}${result.failureReason ? ` (${result.failureReason})` : ''} after ${result.steps.length} steps\npicture: ${picture}`);
    });
}
