import { invalidArgument, PeractError } from '../../core/index.js';
import { SimEnv, type ExpertStep } from '../../sim/index.js';
import { poseMsg } from '../ros/ros-messages.js';
import { Service, type RosLike } from '../ros/roslib.js';
import { SIM_SERVICES, WORLD_FRAME } from '../ros/names.js';

/**
 * A stand-in for a person teleoperating the simulator's robot: it resets `peract serve`'s
 * episode and sends the scripted expert's waypoints through /peract/execute, pausing at each
 * one the way an operator does, so `peract record` can record it over the bridge. The
 * waypoints come from a local SimEnv reset to the same task and seed (the expert is planned
 * from the state right after reset, and reset is deterministic).
 */

export interface TeleopResult {
  steps: number;
  /** The task's success check after the last step. */
  success: boolean;
  failureReason?: string;
}

type Reply = Record<string, unknown>;

export function callRos(ros: RosLike, name: string, type: string, request: Reply, timeoutMs = 120_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new PeractError('TIMEOUT', `${name} did not answer within ${timeoutMs} ms`)), timeoutMs);
    new Service<Reply, Reply>({ ros, name, serviceType: type }).callService(
      request,
      (r) => {
        clearTimeout(timer);
        resolve(r);
      },
      (e) => {
        clearTimeout(timer);
        reject(new PeractError('INTERNAL', `${name} failed: ${e}`));
      },
    );
  });
}

/** Resets the served episode and returns the expert's waypoints for it (and its goal text in `goal`). */
export async function resetForTeleop(ros: RosLike, task: string, seed: number): Promise<ExpertStep[] & { goal: string }> {
  const r = await callRos(ros, SIM_SERVICES.reset, 'peract_msgs/Reset', { task, variation: -1, seed });
  if (!r.success) throw new PeractError('INVALID_ARGUMENT', `reset failed: ${String(r.message)}`, { field: 'task' });
  const local = new SimEnv();
  try {
    await local.reset({ task, seed });
    return Object.assign(local.expert(), { goal: String(r.goal) });
  } finally {
    await local.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends the waypoints one by one, pausing `pauseSeconds` after each (and before the first). */
export async function teleoperate(ros: RosLike, steps: readonly ExpertStep[], pauseSeconds = 0.6): Promise<TeleopResult> {
  if (!(pauseSeconds >= 0)) throw invalidArgument('pauseSeconds', `must be >= 0, got ${pauseSeconds}`);
  let done = 0;
  let success = false;
  let failureReason: string | undefined;
  await sleep(pauseSeconds * 1000);
  for (const step of steps) {
    const a = step.action;
    const r = await callRos(ros, SIM_SERVICES.execute, 'peract_msgs/Execute', {
      target: { header: { frame_id: WORLD_FRAME, stamp: { sec: 0, nanosec: 0 } }, pose: poseMsg({ positionMetres: a.positionMetres, quaternion: a.quaternion }) },
      gripper_open: a.gripperOpen,
      ignore_collisions: a.ignoreCollisions,
    });
    done++;
    success = Boolean(r.task_success);
    await sleep(pauseSeconds * 1000);
    if (!r.success) {
      failureReason = `${step.label}: ${String(r.message)}`;
      break;
    }
    if (r.done) break;
  }
  return { steps: done, success, ...(failureReason ? { failureReason } : {}) };
}
