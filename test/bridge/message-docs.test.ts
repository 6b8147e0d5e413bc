import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServeAgent } from '../../bin/commands/serve.js';
import { SHIPPED_MODEL } from '../../bin/commands/start.js';
import { messageFields, serviceFields, startSimBridge, type SimBridge } from '../../bridge/index.js';
import { Topic, type RosLike } from '../../bridge/roslib.js';
import { callService, openRos } from './helpers.js';

/**
 * The documented message types are what the server sends: docs/bridge.md's `.msg` definitions
 * equal the registry every message is checked against, its topic and service tables equal what a
 * running server lists, and with `checkOutgoing` every publication
 * of a run that resets, steps, takes a command and runs the agent matches its type.
 */

const bridgeDoc = readFileSync(new URL('../../docs/bridge.md', import.meta.url), 'utf8');
const CAMERAS = ['front', 'left_shoulder', 'right_shoulder', 'wrist'];

/** `# peract_msgs/X` sections of docs/bridge.md's .msg block: field lines, `---` between request and response. */
function documentedTypes(): Map<string, string[]> {
  const block = bridgeDoc.slice(bridgeDoc.indexOf('# peract_msgs/GripperState'));
  const text = block.slice(0, block.indexOf('```'));
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#(?! peract_msgs).*$/, '').trim();
    if (line.startsWith('# peract_msgs/')) {
      current = [];
      out.set(line.slice(2).replace(/\.srv$/, ''), current);
    } else if (line) current.push(line.replace(/\s+/g, ' '));
  }
  return out;
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
  it("docs/bridge.md's peract_msgs definitions equal the registry", () => {
    const docs = documentedTypes();
    expect([...docs.keys()].sort()).toEqual(['peract_msgs/Act', 'peract_msgs/Command', 'peract_msgs/Execute', 'peract_msgs/GripperState', 'peract_msgs/PolicyOutput', 'peract_msgs/Reset', 'peract_msgs/StepResult']);
    const line = (f: { name: string; type: string }) => `${f.type} ${f.name}`;
    for (const [type, lines] of docs) {
      const split = lines.indexOf('---');
      if (split < 0) expect(lines, type).toEqual(messageFields(type).map(line));
      else {
        const s = serviceFields(type);
        expect(lines.slice(0, split), `${type} request`).toEqual(s.request.map(line));
        expect(lines.slice(split + 1), `${type} response`).toEqual(s.response.map(line));
      }
    }
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
