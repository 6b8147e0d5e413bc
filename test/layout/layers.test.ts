import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVED_CAMERA_NAMES, SERVED_TASK_NAMES } from '../../bridge/index.js';
import { CAMERA_NAMES, TASK_NAMES } from '../../sim/index.js';

/**
 * The layout of docs/design.md ("Layout"), pinned: each room imports only the rooms below it,
 * so the data flow reads from the folder names (core -> perception -> dataset -> agent;
 * sim -> Env <- bridge), and the client side of the bridge loads no simulator code.
 */

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');

/** Room -> the rooms it may import. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  viz: ['core'],
  perception: ['core'],
  dataset: ['core', 'perception'],
  agent: ['core', 'perception', 'dataset', 'viz'],
  sim: ['core', 'perception', 'dataset', 'viz'],
  'bridge/ros': ['core'],
  'bridge/server': ['core', 'bridge/ros'],
  'bridge/client': ['core', 'perception', 'dataset', 'bridge/ros'],
  'bridge/sim-robot': ['core', 'sim', 'bridge/ros', 'bridge/server', 'bridge/client'],
  bridge: ['core', 'bridge/ros', 'bridge/server', 'bridge/client', 'bridge/sim-robot'],
};

function roomOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'bridge' && parts.length > 2 ? `bridge/${parts[1]}` : parts[0];
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('layout', () => {
  it('every room imports only the rooms below it', () => {
    const wrong: string[] = [];
    for (const room of ['core', 'viz', 'perception', 'dataset', 'agent', 'sim', 'bridge']) {
      for (const file of sources(room)) {
        const text = readFileSync(join(ROOT, file), 'utf8');
        for (const m of text.matchAll(/(?:from|import\(|import)\s*'(\.[^']+)'/g)) {
          const target = relative(ROOT, normalize(join(ROOT, dirname(file), m[1])));
          const from = roomOf(file);
          const to = roomOf(target);
          if (to !== from && !(ALLOWED[from] ?? []).includes(to)) wrong.push(`${file} imports ${target}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the served robot’s camera and task names are the simulator’s', () => {
    expect([...SERVED_CAMERA_NAMES]).toEqual([...CAMERA_NAMES]);
    expect([...SERVED_TASK_NAMES]).toEqual([...TASK_NAMES]);
  });
});
