import type { Command } from 'commander';
import { invalidArgument } from '../../core/index.js';
import { startSimBridge } from '../../bridge/index.js';

interface ServeFlags {
  port: string;
  host: string;
  token?: string;
  task?: string;
  variation?: string;
  seed: string;
  rate: string;
}

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidArgument(flag, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the simulator as a ROS robot over rosbridge v2 (WebSocket), with a web viewer on the same port')
    .option('--port <port>', 'TCP port (0 = any free port)', '9090')
    .option('--host <host>', 'address to bind; 0.0.0.0 exposes the robot to the network', '127.0.0.1')
    .option('--token <token>', 'clients must send {"op":"auth","mac":TOKEN} first (also env PERACT_BRIDGE_TOKEN)')
    .option('--task <task>', 'task of the first episode')
    .option('--variation <n>', 'variation of the first episode (default: drawn from the seed)')
    .option('--seed <n>', 'seed of the first episode', '0')
    .option('--rate <hz>', 'sensor publishing rate', '10')
    .action(async (flags: ServeFlags) => {
      const token = flags.token ?? process.env.PERACT_BRIDGE_TOKEN;
      const rateHz = Number(flags.rate);
      if (!(rateHz > 0 && rateHz <= 1000)) throw invalidArgument('--rate', `must be in (0, 1000], got ${JSON.stringify(flags.rate)}`);
      const bridge = await startSimBridge({
        port: integer(flags.port, '--port', 0, 65535),
        host: flags.host,
        ...(token ? { token } : {}),
        ...(flags.task !== undefined ? { task: flags.task } : {}),
        ...(flags.variation !== undefined ? { variation: integer(flags.variation, '--variation', 0, 1000) } : {}),
        seed: integer(flags.seed, '--seed', 0, 2 ** 31 - 1),
        rateHz,
        log: (line) => console.error(`peract serve: ${line}`),
      });
      // One machine-readable line on stdout (scripts and tests wait for it); the rest to stderr.
      console.log(JSON.stringify({ rosbridge: bridge.url, viewer: bridge.viewerUrl, task: bridge.env.currentTask?.name, goal: bridge.robot.currentGoal, token: token ? 'required' : 'none' }));
      if (flags.host !== '127.0.0.1' && flags.host !== 'localhost' && flags.host !== '::1' && !token) {
        console.error('peract serve: warning: listening beyond this machine without --token; anyone who can reach the port can move the robot');
      }
      console.error('peract serve: no agent checkpoint is loaded: the viewer\'s Act button will say so (commands over /peract/execute work)');
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await bridge.close();
    });
}
