import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerServe } from '../../bin/commands/serve.js';
import { SHIPPED_MODEL } from '../../bin/commands/start.js';
import { Topic } from '../../bridge/ros/roslib.js';
import { callService, openRos, withTimeout } from './helpers.js';

type Msg = Record<string, unknown>;

/** Runs `peract serve ARGS` in this process until `body` is done, then sends SIGINT. */
async function withServe(args: string[], body: (info: Msg) => Promise<void>): Promise<void> {
  const program = new Command().exitOverride();
  registerServe(program);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const running = program.parseAsync(['node', 'peract', 'serve', '--port', '0', ...args]);
  try {
    await withTimeout(
      Promise.race([
        (async () => {
          while (lines.length === 0) await new Promise((r) => setTimeout(r, 20));
        })(),
        running.then(() => {
          throw new Error('serve ended before its ready line');
        }),
      ]),
      30_000,
      'the startup line',
    );
    await body(JSON.parse(lines[0]) as Msg);
  } finally {
    process.emit('SIGINT');
    await running;
    log.mockRestore();
    err.mockRestore();
  }
}

describe('peract serve', () => {
  it('starts a rosbridge server with the shipped agent by default and stops on SIGINT', async () => {
    await withServe(['--task', 'reach_target', '--token', 'tok'], async (info) => {
      expect(info.rosbridge).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(info).toMatchObject({ task: 'reach_target', token: 'required' });
      // --checkpoint defaults to the model shipped in models/peract-c2f.
      expect(String(info.agent)).toBe(SHIPPED_MODEL);
      const ros = await openRos(String(info.rosbridge), 'tok');
      try {
        expect(await callService(ros, '/peract/success', 'std_srvs/Trigger', {})).toMatchObject({ success: false });
        const published = withTimeout(new Promise<Msg>((resolve) => new Topic<Msg>({ ros, name: '/peract/policy_output', messageType: 'peract_msgs/PolicyOutput' }).subscribe(resolve)), 30_000, 'policy output');
        const act = await callService(ros, '/peract/act', 'peract_msgs/Act', { goal: '', execute: false }, 30_000);
        expect(act).toMatchObject({ success: true, message: 'not executed' });
        const out = await published;
        // The network's own output: its target, and its top voxels with a score each.
        expect(out.target).toEqual(act.target);
        expect((out.top_voxels as unknown[]).length).toBeGreaterThan(0);
        expect((out.scores as number[]).length).toBe((out.top_voxels as unknown[]).length);
      } finally {
        ros.close();
      }
      const page = await fetch(String(info.viewer));
      expect(await page.text()).toMatch(/importmap/);
    });
  });

  it('serves without an agent with --no-agent', async () => {
    await withServe(['--task', 'reach_target', '--no-agent'], async (info) => {
      expect(info).toMatchObject({ token: 'none', agent: null });
      const ros = await openRos(String(info.rosbridge));
      const act = await callService(ros, '/peract/act', 'peract_msgs/Act', { goal: 'x' });
      ros.close();
      expect(act).toMatchObject({ success: false, message: expect.stringMatching(/no agent is loaded/) });
    });
  });

  it('rejects a bad port, an empty token and a missing checkpoint with the flag named', async () => {
    const run = (args: string[]) => {
      const program = new Command().exitOverride();
      registerServe(program);
      return program.parseAsync(['node', 'peract', 'serve', ...args]);
    };
    await expect(run(['--port', '99999'])).rejects.toThrow(/--port/);
    await expect(run(['--token='])).rejects.toThrow(/^--token: must not be empty/);
    await expect(run(['--token', ' ', '--no-agent'])).rejects.toThrow(/^--token: must not be empty/);
    await expect(run(['--checkpoint', '/nonexistent/run'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
