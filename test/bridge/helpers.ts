import type { Action, Policy, PolicyOutput } from '../../core/index.js';
import type { ExpertStep } from '../../sim/index.js';
import { Ros, type RosLike } from '../../bridge/roslib.js';

/** A stand-in agent: step k returns the expert's waypoint k (the last one after that). */
export function scriptedPolicy(steps: ExpertStep[]): Policy & { calls: number } {
  const policy = {
    calls: 0,
    async act(): Promise<PolicyOutput> {
      const step = steps[Math.min(policy.calls, steps.length - 1)];
      policy.calls++;
      const action: Action = step.action;
      return { action, topVoxels: [{ positionMetres: action.positionMetres, score: 0.9 }, { positionMetres: [action.positionMetres[0] + 0.01, action.positionMetres[1], action.positionMetres[2]], score: 0.1 }] };
    },
  };
  return policy;
}

/** A roslib connection that is open (roslib's connect() resolves before the socket is). */
export async function openRos(url: string, token?: string): Promise<RosLike> {
  const ros = new Ros({});
  const opened = new Promise<void>((resolve, reject) => {
    ros.on('connection', () => resolve());
    ros.on('close', () => reject(new Error('closed before opening')));
  });
  if (token) ros.authenticate(token, '', '', '', 0, '', 0);
  await ros.connect(url);
  await opened;
  return ros;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then((v) => {
      clearTimeout(t);
      resolve(v);
    }, (e: unknown) => {
      clearTimeout(t);
      reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}
