import { describe, expect, it } from 'vitest';
import { runEpisode } from '../../core/episode.js';
import type { Action, Env, Observation, Policy, PolicyOutput, ResetResult, StepResult, Vec3 } from '../../core/index.js';

/** An observation with no cameras, `step` set. */
function obs(step: number): Observation {
  return { cameras: [], gripperPose: { positionMetres: [0.3, 0, 0.5], quaternion: [0, 0, 0, 1] }, gripperOpen: true, fingerWidthsMetres: [0.04, 0.04], step };
}

type Answer = Omit<StepResult, 'observation'>;

/** An Env that answers each step from a script (the last answer after that), with or without observe(). */
function scriptedEnv(answers: Answer[], withObserve: boolean): Env & { sent: Action[]; observed: number } {
  let k = 0;
  const env = {
    tasks: ['t'],
    sent: [] as Action[],
    observed: 0,
    async reset(): Promise<ResetResult> {
      k = 0;
      return { observation: obs(0), goal: 'do it', variation: 2, slots: { colour: 'red' } };
    },
    async step(action: Action): Promise<StepResult> {
      env.sent.push(action);
      const a = answers[Math.min(k, answers.length - 1)];
      k++;
      return { ...a, observation: obs(k) };
    },
    async close(): Promise<void> {},
  };
  if (!withObserve) return env;
  return Object.assign(env, {
    observe(): Observation {
      env.observed++;
      return obs(k);
    },
  });
}

/** Acts at x = 0.1 * call, recording the positions it was asked to avoid. */
function countingPolicy(): Policy & { avoided: Vec3[][] } {
  let calls = 0;
  const policy = {
    avoided: [] as Vec3[][],
    async act(_o: Observation, _goal: string, options?: { avoidPositionsMetres?: readonly Vec3[] }): Promise<PolicyOutput> {
      policy.avoided.push([...(options?.avoidPositionsMetres ?? [])]);
      calls++;
      return { action: { positionMetres: [0.1 * calls, 0, 0.3], quaternion: [0, 0, 0, 1], gripperOpen: true, ignoreCollisions: false }, topVoxels: [] };
    },
  };
  return policy;
}

const ok: Answer = { success: false, done: false };
const refused: Answer = { success: false, done: false, refused: true, failureReason: 'planner: unreachable' };
const stopped: Answer = { success: false, done: false, failureReason: 'execution: blocked' };

describe('runEpisode', () => {
  it('goes on after a move a contact stopped, and succeeds', async () => {
    const env = scriptedEnv([stopped, ok, { success: true, done: true }], true);
    const timings: number[] = [];
    const r = await runEpisode(env, countingPolicy(), 'goal', { onStep: (s) => timings.push(s.actMs, s.executeMs) });
    expect(r.outcome).toBe('success');
    expect(r.steps.map((s) => s.failureReason)).toEqual(['execution: blocked', undefined, undefined]);
    expect(timings.every((t) => t >= 0)).toBe(true);
    expect(r.finalObservation.step).toBe(3);
  });

  it('fails when a stopped move is the last the Env allows, and at the limit otherwise', async () => {
    const last = await runEpisode(scriptedEnv([stopped, { ...stopped, done: true }], true), countingPolicy(), 'goal');
    expect(last).toMatchObject({ outcome: 'failure', failureReason: 'execution: blocked' });
    expect(last.steps).toHaveLength(2);
    const limit = await runEpisode(scriptedEnv([ok], true), countingPolicy(), 'goal', { maxSteps: 3 });
    expect(limit.outcome).toBe('limit');
    expect(limit.steps).toHaveLength(3);
    const envLimit = await runEpisode(scriptedEnv([ok, { success: false, done: true }], true), countingPolicy(), 'goal');
    expect(envLimit.outcome).toBe('limit');
    expect(envLimit.steps).toHaveLength(2);
  });

  it('ends on a refusal, or retries avoiding every position refused at this observation', async () => {
    const ended = await runEpisode(scriptedEnv([refused], true), countingPolicy(), 'goal');
    expect(ended).toMatchObject({ outcome: 'failure', failureReason: 'planner: unreachable' });
    expect(ended.steps[0].refused).toBe(true);
    const policy = countingPolicy();
    const retried = await runEpisode(scriptedEnv([refused, refused, ok, { success: true, done: true }], true), policy, 'goal', { onRefusal: 'retry' });
    expect(retried.outcome).toBe('success');
    expect(retried.steps).toHaveLength(4);
    expect(policy.avoided).toEqual([[], [[0.1, 0, 0.3]], [[0.1, 0, 0.3], [0.2, 0, 0.3]], []]);
  });

  it('resets first when asked, with a goal from the reset', async () => {
    const env = scriptedEnv([{ success: true, done: true }], false);
    const r = await runEpisode(env, countingPolicy(), (start) => `${start.goal} (${start.slots?.colour})`, { reset: { task: 't' } });
    expect(r.goal).toBe('do it (red)');
    expect(r.start?.variation).toBe(2);
    await expect(runEpisode(env, countingPolicy(), 'goal')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.reset' });
    await expect(runEpisode(env, countingPolicy(), () => 'goal')).rejects.toMatchObject({ field: 'goal' });
    await expect(runEpisode(env, countingPolicy(), 'goal', { reset: { task: 't' }, dryRun: true })).rejects.toMatchObject({ field: 'dryRun' });
    await expect(runEpisode(env, countingPolicy(), 'goal', { reset: { task: 't' }, maxSteps: 0 })).rejects.toMatchObject({ field: 'maxSteps' });
  });

  it('in a dry run sends nothing and re-observes before each next step', async () => {
    const env = scriptedEnv([ok], true);
    const r = await runEpisode(env, countingPolicy(), 'goal', { dryRun: true, maxSteps: 3 });
    expect(r.outcome).toBe('dry-run');
    expect(env.sent).toHaveLength(0);
    expect(env.observed).toBe(3);
    expect(r.steps.every((s) => !s.sent && s.executeMs === 0)).toBe(true);
  });

  it('stops before the next step when aborted', async () => {
    const controller = new AbortController();
    const env = scriptedEnv([ok], true);
    const r = await runEpisode(env, countingPolicy(), 'goal', { signal: controller.signal, onStep: (s) => s.step === 2 && controller.abort() });
    expect(r.outcome).toBe('aborted');
    expect(env.sent).toHaveLength(2);
  });
});
