import { invalidArgument, type Policy } from '../../core/index.js';
import { SimEnv, type SimEnvOptions } from '../../sim/index.js';
import { BridgeServer, type BridgeServerOptions } from '../server/bridge-server.js';
import { SimRobot } from './sim-robot.js';
import { createViewerHandler } from './viewer-assets.js';

/**
 * What `peract serve` runs: a SimEnv published as a ROS robot over rosbridge, plus the web
 * viewer on the same port. Tests and benchmarks start it the same way.
 */

export interface SimBridgeOptions extends Omit<BridgeServerOptions, 'http'> {
  task?: string;
  variation?: number;
  seed?: number;
  /** The agent behind the viewer's Act button and /peract/act. */
  policy?: Policy;
  /** Sensor publishing rate. Default 10 Hz. */
  rateHz?: number;
  /** Serve the web viewer over HTTP. Default true. */
  viewer?: boolean;
  sim?: SimEnvOptions;
  /** Use this environment instead of a new SimEnv (closed with the bridge). */
  env?: SimEnv;
}

export interface SimBridge {
  server: BridgeServer;
  robot: SimRobot;
  env: SimEnv;
  /** ws://host:port */
  url: string;
  /** http://host:port/ (the viewer) */
  viewerUrl: string;
  close(): Promise<void>;
}

export async function startSimBridge(options: SimBridgeOptions = {}): Promise<SimBridge> {
  const env = options.env ?? new SimEnv(options.sim);
  if (options.task !== undefined && !env.tasks.includes(options.task)) {
    throw invalidArgument('task', `unknown task "${options.task}" (one of ${env.tasks.join(', ')})`);
  }
  const server = await BridgeServer.start({ ...options, ...(options.viewer === false ? {} : { http: createViewerHandler() }) });
  let robot: SimRobot;
  try {
    robot = await SimRobot.attach(env, server, {
      ...(options.task !== undefined ? { task: options.task } : {}),
      ...(options.variation !== undefined ? { variation: options.variation } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.rateHz !== undefined ? { rateHz: options.rateHz } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (err) {
    await server.close();
    throw err;
  }
  const url = server.url;
  return {
    server,
    robot,
    env,
    url,
    viewerUrl: `${url.replace(/^ws/, 'http')}/`,
    async close() {
      robot.stop();
      await server.close();
      await env.close();
    },
  };
}
