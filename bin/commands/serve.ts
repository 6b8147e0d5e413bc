import type { Command } from 'commander';
import { loadPolicy, selectBackend, type BackendName } from '../../agent/index.js';
import { invalidArgument, type Policy } from '../../core/index.js';
import { startSimBridge } from '../../bridge/index.js';
import { backendOption } from './options.js';
import { SHIPPED_MODEL } from './start.js';

interface ServeFlags {
  port: string;
  host: string;
  token?: string;
  task?: string;
  variation?: string;
  seed: string;
  rate: string;
  checkpoint: string;
  /** false with --no-agent. */
  agent: boolean;
  backend?: string;
}

export interface ServeAgent {
  policy: Policy;
  /** The checkpoint folder read. */
  dir: string;
  backend: BackendName;
}

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidArgument(flag, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

/** The token from --token or PERACT_BRIDGE_TOKEN; an empty one is an error, never "no auth". */
export function serveToken(flag: string | undefined, env: string | undefined): string | undefined {
  if (flag !== undefined) {
    if (flag.trim() === '') throw invalidArgument('--token', 'must not be empty (leave the flag out to serve without authentication)');
    return flag;
  }
  if (env !== undefined) {
    if (env.trim() === '') throw invalidArgument('PERACT_BRIDGE_TOKEN', 'is set but empty (unset it to serve without authentication)');
    return env;
  }
  return undefined;
}

/**
 * The agent behind /peract/act and the viewer's Act button: a checkpoint loaded through the
 * agent's public loader, used as a black box (`act(observation, goal)`).
 */
export async function loadServeAgent(checkpoint: string, backend?: BackendName): Promise<ServeAgent> {
  const selected = await selectBackend(backend);
  const { policy, dir } = await loadPolicy(checkpoint);
  return { policy, dir, backend: selected.name };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the simulator as a ROS robot over rosbridge v2 (WebSocket), with a web viewer and the agent on the same port')
    .option('--port <port>', 'TCP port (0 = any free port)', '9090')
    .option('--host <host>', 'address to bind; 0.0.0.0 exposes the robot to the network', '127.0.0.1')
    .option('--token <token>', 'clients must send {"op":"auth","mac":TOKEN} first (also env PERACT_BRIDGE_TOKEN); must not be empty')
    .option('--task <task>', 'task of the first episode')
    .option('--variation <n>', 'variation of the first episode (default: drawn from the seed)')
    .option('--seed <n>', 'seed of the first episode', '0')
    .option('--rate <hz>', 'sensor publishing rate', '10')
    .option('--checkpoint <run>', 'the agent behind /peract/act and the viewer\'s Act button: run or checkpoint folder', SHIPPED_MODEL)
    .option('--no-agent', 'serve without an agent (no model is loaded; /peract/act says so)')
    .option('--backend <name>', 'tensorflow | webgpu | wasm | cpu')
    .action(async (flags: ServeFlags) => {
      const token = serveToken(flags.token, process.env.PERACT_BRIDGE_TOKEN);
      const rateHz = Number(flags.rate);
      if (!(rateHz > 0 && rateHz <= 1000)) throw invalidArgument('--rate', `must be in (0, 1000], got ${JSON.stringify(flags.rate)}`);
      const port = integer(flags.port, '--port', 0, 65535);
      const seed = integer(flags.seed, '--seed', 0, 2 ** 31 - 1);
      const variation = flags.variation !== undefined ? integer(flags.variation, '--variation', 0, 1000) : undefined;
      const agent = flags.agent === false ? null : await loadServeAgent(flags.checkpoint, backendOption(flags.backend));
      const log = (line: string) => console.error(`peract serve: ${line}`);
      const bridge = await startSimBridge({
        port,
        host: flags.host,
        ...(token !== undefined ? { token } : {}),
        ...(flags.task !== undefined ? { task: flags.task } : {}),
        ...(variation !== undefined ? { variation } : {}),
        seed,
        rateHz,
        ...(agent ? { policy: agent.policy } : {}),
        log,
      });
      // One machine-readable line on stdout (scripts and tests wait for it); the rest to stderr.
      console.log(
        JSON.stringify({
          rosbridge: bridge.url,
          viewer: bridge.viewerUrl,
          task: bridge.env.currentTask?.name,
          goal: bridge.robot.currentGoal,
          token: token !== undefined ? 'required' : 'none',
          agent: agent ? agent.dir : null,
          backend: agent ? agent.backend : null,
        }),
      );
      if (flags.host !== '127.0.0.1' && flags.host !== 'localhost' && flags.host !== '::1' && token === undefined) {
        log('warning: listening beyond this machine without --token; anyone who can reach the port can move the robot');
      }
      log(agent ? `agent ${agent.dir} on ${agent.backend}: the viewer's Act button and /peract/act run it` : 'no agent (--no-agent): /peract/act says so; commands over /peract/execute work');
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await bridge.close();
    });
}
