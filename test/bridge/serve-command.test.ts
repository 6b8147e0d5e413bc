import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerServe } from '../../bin/commands/serve.js';
import { Service } from '../../bridge/roslib.js';
import { openRos, withTimeout } from './helpers.js';

describe('peract serve', () => {
  it('starts a rosbridge server on the given port and stops on SIGINT', async () => {
    const program = new Command().exitOverride();
    registerServe(program);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const running = program.parseAsync(['node', 'peract', 'serve', '--port', '0', '--task', 'reach_target', '--token', 'tok']);
    try {
      await withTimeout((async () => {
        while (lines.length === 0) await new Promise((r) => setTimeout(r, 20));
      })(), 10_000, 'the startup line');
      const info = JSON.parse(lines[0]) as { rosbridge: string; viewer: string; task: string; token: string };
      expect(info.rosbridge).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(info).toMatchObject({ task: 'reach_target', token: 'required' });
      const ros = await openRos(info.rosbridge, 'tok');
      const r = await withTimeout(new Promise<Record<string, unknown>>((resolve, reject) => new Service<Record<string, unknown>, Record<string, unknown>>({ ros, name: '/peract/success', serviceType: 'std_srvs/Trigger' }).callService({}, resolve, (e) => reject(new Error(e)))), 5000, 'service');
      ros.close();
      expect(r).toMatchObject({ success: false });
      const page = await fetch(info.viewer);
      expect(await page.text()).toMatch(/importmap/);
    } finally {
      process.emit('SIGINT');
      await running;
      log.mockRestore();
      err.mockRestore();
    }
  });

  it('rejects a bad port with the flag named', async () => {
    const program = new Command().exitOverride();
    registerServe(program);
    await expect(program.parseAsync(['node', 'peract', 'serve', '--port', '99999'])).rejects.toThrow(/--port/);
  });
});
