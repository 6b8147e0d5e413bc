import type { Command } from 'commander';
import { loadPolicy, selectBackend } from '../../agent/index.js';
import { formatRobotStep, loadRosEnvConfig, parseRosEnvConfig, RosEnv, runOnRobot } from '../../bridge/index.js';
import { backendOption, intOption, NO_SUB_VOXEL_FLAG, ON_REFUSAL_FLAG, refusalOption } from './options.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the agent on whatever robot a rosbridge server exposes (ours or a real arm), step by step')
    .requiredOption('--rosbridge <url>', 'rosbridge WebSocket, e.g. ws://127.0.0.1:9090')
    .requiredOption('--checkpoint <run>', 'run folder or checkpoint folder')
    .option(...NO_SUB_VOXEL_FLAG)
    .requiredOption('--goal <text>', 'the language goal')
    .option('--config <file>', 'RosEnv configuration (topics, encodings, extrinsics, command interface); flags override it')
    .option('--token <token>', 'authentication token of the server')
    .option('--max-steps <n>', 'agent actions', '25')
    .option('--dry-run', 'print the actions without sending them')
    .option(...ON_REFUSAL_FLAG)
    .option('--backend <name>', 'tensorflow | webgpu | wasm | cpu')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const onRefusal = refusalOption(o.onRefusal);
      const overrides = { url: String(o.rosbridge), ...(typeof o.token === 'string' ? { token: o.token } : {}) };
      const config = typeof o.config === 'string' ? await loadRosEnvConfig(o.config, overrides) : parseRosEnvConfig(overrides, 'flags');
      await selectBackend(backendOption(o.backend));
      const { policy, dir } = await loadPolicy(String(o.checkpoint), { subVoxel: o.subVoxel !== false });
      console.error(`agent ${dir}; robot at ${config.url}${o.dryRun ? ' (dry run: nothing is sent)' : ''}`);
      const env = await RosEnv.connect(config);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      try {
        const result = await runOnRobot(env, policy, String(o.goal), {
          dryRun: o.dryRun === true,
          maxSteps: intOption(o.maxSteps, '--max-steps', 1),
          onRefusal,
          signal: controller.signal,
          onStep: (s) => console.log(formatRobotStep(s)),
        });
        console.log(`outcome: ${result.outcome}${result.failureReason ? ` (${result.failureReason})` : ''} after ${result.steps.length} steps`);
        if (result.outcome === 'failure') process.exitCode = 3;
      } finally {
        await env.close();
      }
    });
}
