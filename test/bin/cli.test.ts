import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'peract-cli-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

function peract(...args: string[]) {
  return spawnSync('npx', ['tsx', 'bin/peract.ts', ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, PERACT_BACKEND: 'wasm' } });
}

describe('peract CLI', () => {
  it('npm start (the main job) runs the shipped model to the end and exits 0', async () => {
    const r = peract('start', '--episodes', '2', '--out', out);
    expect(r.stderr).not.toMatch(/peract: \[/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/agent .*models[/\\]peract-c2f.* on wasm/);
    expect(r.stdout).toMatch(/\[1\/2\] .*: "/);
    expect(r.stdout).toMatch(/summary: \d\/2 episodes succeeded/);
    expect((await readdir(out)).filter((f) => f.endsWith('.png'))).toHaveLength(2);
  });

  it('prints --help for every command and exits 0', () => {
    for (const command of ['start', 'demos', 'train', 'eval', 'accuracy', 'act', 'serve', 'run', 'record', 'dataset', 'export', 'curves']) {
      const r = peract(command, '--help');
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).toMatch(/Usage: peract/);
    }
  });

  it('exits 2 with a message naming the flag for bad arguments, 1 for a missing checkpoint', () => {
    const bad = peract('eval', '--checkpoint', 'models/peract-cpu', '--tasks', 'fly_to_the_moon');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--tasks: unknown task fly_to_the_moon; known tasks: reach_target,/);
    expect(peract('train', '--no-such-flag').status).toBe(2);
    const bounds = peract('train', '--data', join(out, 'none'), '--out', join(out, 'run'), '--bounds', '0.2,-0.3,0.5,0.7,0.3,0.1');
    expect(bounds.status).toBe(2);
    expect(bounds.stderr).toMatch(/--bounds\[2\]: min \(0\.5\) must be < max \(0\.1\) on axis z/);
    const missing = peract('start', '--checkpoint', join(out, 'nothing-here'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND/);
  });

  it('refuses evaluation seeds that overlap the shipped model\'s demonstrations', () => {
    const r = peract('eval', '--checkpoint', 'models/peract-cpu', '--tasks', 'reach_target', '--episodes', '1', '--seeds', '0');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/reuses demonstration seed 0 of reach_target/);
  });
});
