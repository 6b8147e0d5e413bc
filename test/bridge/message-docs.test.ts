import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServeAgent } from '../../bin/commands/serve.js';
import { SHIPPED_MODEL } from '../../bin/commands/start.js';
import { startSimBridge, type SimBridge } from '../../bridge/index.js';
import { Topic, type RosLike } from '../../bridge/ros/roslib.js';
import { parseInterface, readInterfaces, type ParsedInterface, type ParsedSection } from '../../scripts/build-msgs.js';
import { callService, openRos } from './helpers.js';

/**
 * The documented message types are what the server sends: docs/bridge.md's `.msg` summary has
 * the fields of the interface files in msgs/peract_msgs/ (from which the registry every message
 * is checked against is generated), its topic and service tables equal what a running server
 * lists, and with `checkOutgoing` every publication of a run that resets, steps, takes a command
 * and runs the agent matches its type.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bridgeDoc = readFileSync(join(root, 'docs', 'bridge.md'), 'utf8');
const CAMERAS = ['front', 'left_shoulder', 'right_shoulder', 'wrist'];

/** `# peract_msgs/X` (`.srv` for a service) sections of docs/bridge.md's .msg block, parsed as the interface files are. */
function documentedTypes(): ParsedInterface[] {
  const lines = bridgeDoc.split('\n');
  const start = lines.findIndex((l) => l.trim() === '# peract_msgs/GripperState');
  expect(start, 'a .msg block starting with "# peract_msgs/GripperState"').toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('```'));
  const out: ParsedInterface[] = [];
  let section: { name: string; kind: 'msg' | 'srv'; firstLine: number; text: string[] } | undefined;
  const flush = () => {
    if (section) out.push(parseInterface(section.text.join('\n'), { file: 'docs/bridge.md', name: section.name, kind: section.kind, firstLine: section.firstLine }));
  };
  for (let i = start; i < end; i++) {
    const header = /^# (peract_msgs\/[A-Za-z0-9]+)(\.srv)?$/.exec(lines[i].trim());
    if (header) {
      flush();
      section = { name: header[1], kind: header[2] ? 'srv' : 'msg', firstLine: i + 2, text: [] };
    } else section?.text.push(lines[i]);
  }
  flush();
  return out;
}

/** What a type puts on the wire and in client code: fields and constants in order, without comments. */
function shape(i: ParsedInterface): unknown {
  const section = (s: ParsedSection) => ({ fields: s.fields.map((f) => `${f.type} ${f.name}`), constants: s.constants.map((c) => `${c.type} ${c.name}=${String(c.value)}`) });
  return i.kind === 'msg' ? { name: i.name, kind: i.kind, ...section(i.body) } : { name: i.name, kind: i.kind, request: section(i.request), response: section(i.response) };
}

/** Rows of the (last, with `last`) markdown table under `| HEADER | Type |`: each name in the first cell -> the type. */
function table(markdown: string, header: string, last = false): Map<string, string> {
  const start = last ? markdown.lastIndexOf(`| ${header} | Type |`) : markdown.indexOf(`| ${header} | Type |`);
  expect(start, `a "${header}" table`).toBeGreaterThanOrEqual(0);
  const rows = markdown.slice(start).split('\n').slice(2);
  const out = new Map<string, string>();
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const cells = row.split('|').map((c) => c.trim());
    const type = /`([^`]+)`/.exec(cells[2])?.[1] ?? '';
    for (const m of cells[1].matchAll(/`([^`]+)`/g)) {
      const names = m[1].includes('<camera>') ? CAMERAS.map((c) => m[1].replace('<camera>', c)) : [m[1]];
      for (const n of names) out.set(n.replace(/ \(.*$/, ''), type);
    }
  }
  return out;
}

let bridge: SimBridge;
let ros: RosLike;

beforeAll(async () => {
  const agent = await loadServeAgent(SHIPPED_MODEL);
  bridge = await startSimBridge({ port: 0, task: 'pick_and_lift', seed: 1, rateHz: 20, viewer: false, checkOutgoing: true, policy: agent.policy });
  ros = await openRos(bridge.url);
});

afterAll(async () => {
  ros?.close();
  await bridge?.close();
});

describe('the documented message types are what the server sends', () => {
  it("docs/bridge.md's peract_msgs fields are those of msgs/peract_msgs", () => {
    const files = readInterfaces(root);
    const byName = (list: ParsedInterface[]) => [...list].sort((a, b) => a.name.localeCompare(b.name)).map(shape);
    expect(byName(documentedTypes())).toEqual(byName(files));
    // test/bridge/peract-msgs.test.ts checks that the registry holds these files' fields.
  });

  it("docs/bridge.md's topic and service tables equal what the server lists", async () => {
    const topics = await callService(ros, '/rosapi/topics', 'rosapi/Topics', {});
    const served = new Map((topics.topics as string[]).map((t, i) => [t, (topics.types as string[])[i]]));
    expect(table(bridgeDoc, 'Topic')).toEqual(served);
    expect(table(bridgeDoc, 'Topic', true)).toEqual(served);
    const services = await callService(ros, '/rosapi/services', 'rosapi/Services', {});
    const types = await Promise.all((services.services as string[]).map(async (s) => [s, String((await callService(ros, '/rosapi/service_type', 'rosapi/ServiceType', { service: s })).type)] as const));
    const servedServices = new Map(types);
    expect(table(bridgeDoc, 'Service', true)).toEqual(servedServices);
    // The usage table lists the robot's services and rosapi's topic listing.
    for (const [name, type] of table(bridgeDoc, 'Service')) expect(servedServices.get(name), name).toBe(type);
  });

  it('every publication of a run matches its documented type', async () => {
    const seen = new Set<string>();
    const topics = await callService(ros, '/rosapi/topics', 'rosapi/Topics', {});
    for (const [i, name] of (topics.topics as string[]).entries()) {
      new Topic({ ros, name, messageType: (topics.types as string[])[i], compression: 'cbor' }).subscribe(() => seen.add(name));
    }
    await callService(ros, '/peract/reset', 'peract_msgs/Reset', { task: 'pick_and_lift', variation: -1, seed: 1 });
    const act = await callService(ros, '/peract/act', 'peract_msgs/Act', { goal: '', execute: true }, 60_000);
    expect(act.success).toBe(true);
    new Topic({ ros, name: '/peract/command', messageType: 'peract_msgs/Command' }).publish({ target: { header: { frame_id: 'world' }, pose: { position: { x: 0.4, y: 0, z: 0.4 }, orientation: { x: 1, y: 0, z: 0, w: 0 } } }, gripper_open: true });
    const t0 = performance.now();
    while (!seen.has('/peract/step_result') && performance.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    // Every topic carried something (the command topic: our own publication, passed on).
    expect([...seen].sort()).toEqual([...(topics.topics as string[])].sort());
    expect(bridge.server.stats().outgoingMismatches).toEqual([]);
  });
});
