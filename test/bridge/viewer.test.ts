import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { loadServeAgent } from '../../bin/commands/serve.js';
import { SHIPPED_MODEL } from '../../bin/commands/start.js';
import { quaternionAngle, type Policy, type PolicyOutput } from '../../core/index.js';
import { advertiseRecordServices, Recorder, startSimBridge, type SimBridge } from '../../bridge/index.js';
import { SimEnv } from '../../sim/index.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`viewer test skipped: ${CHROMIUM} is missing (CI installs Debian's chromium package)`);
// In CI (CI=true) a missing browser fails the suite instead: .ci/run must have installed it.

interface ViewerState {
  connected: boolean;
  sceneLoaded: boolean;
  tfUpdates: number;
  imagesDrawn: number;
  cloudPoints: number;
  policyOutputs: number;
  voxelsShown: number;
  recorderFound: boolean;
  lastRecord: { success: boolean; message: string } | null;
  lastAct: { success: boolean; message: string; target?: { position: { x: number; y: number; z: number }; orientation: { x: number; y: number; z: number; w: number } } } | null;
}

describe.skipIf(!haveChromium && !process.env.CI)('the web viewer in headless chromium', () => {
  let bridge: SimBridge;
  let browser: Browser;
  let page: Page;
  /** What the network returned, recorded on the way out of it (the agent itself is untouched). */
  const returned: PolicyOutput[] = [];

  beforeAll(async () => {
    // The agent `peract serve` loads by default: the shipped model, through the same loader.
    const agent = await loadServeAgent(SHIPPED_MODEL);
    const policy: Policy = {
      async act(observation, goal) {
        const out = await agent.policy.act(observation, goal);
        returned.push(out);
        return out;
      },
    };
    bridge = await startSimBridge({ port: 0, env: new SimEnv(), task: 'pick_and_lift', seed: 1, policy });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // No network here: background networking would only time out. WebGL runs on SwiftShader.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
    });
    page = await browser.newPage({ viewport: { width: 900, height: 600 } });
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  const state = () => page.evaluate(() => (window as unknown as { __peract: ViewerState }).__peract);

  it('loads, renders the table and the objects, and the Act button runs the trained network', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(bridge.viewerUrl);
    await page.waitForFunction(() => {
      const s = (window as unknown as { __peract?: ViewerState }).__peract;
      return !!s && s.sceneLoaded && s.tfUpdates > 1 && s.imagesDrawn >= 4 && s.cloudPoints > 1000;
    }, null, { timeout: 20_000 });
    expect(errors).toEqual([]);

    // Hide the point cloud so the pixels below come from the meshes alone.
    await page.uncheck('#show-cloud');
    await page.waitForTimeout(100);
    // The 3-D view, checked on pixels: table colour and each block's colour must be on screen.
    const shot = PNG.sync.read(await page.locator('#scene canvas').screenshot());
    const colours = bridge.env.sceneSpec.bodies.map((b) => ({ name: b.name, rgb: b.geoms[0].colour.map((c) => c * 255) }));
    const counts = new Map<string, number>();
    for (let i = 0; i < shot.data.length; i += 4) {
      const px = [shot.data[i], shot.data[i + 1], shot.data[i + 2]];
      const n = Math.hypot(...px);
      if (n < 20) continue;
      for (const c of colours) {
        const m = Math.hypot(...c.rgb);
        if (m < 20) continue;
        // Same chromaticity (Lambert shading scales brightness, not hue).
        const cos = (px[0] * c.rgb[0] + px[1] * c.rgb[1] + px[2] * c.rgb[2]) / (n * m);
        if (cos > 0.995) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
      }
    }
    expect(counts.get('table') ?? 0).toBeGreaterThan(20_000);
    const objects = colours.filter((c) => c.name !== 'table');
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(counts.get(o.name) ?? 0, `${o.name} on screen`).toBeGreaterThan(30);

    // The goal box shows the episode's goal (from /peract/goal); Act sends it to the network.
    const goal = bridge.robot.currentGoal;
    await page.waitForFunction((g) => (document.getElementById('goal') as HTMLInputElement).value === g, goal, { timeout: 5000 });
    const before = bridge.env.jointPositionsRad;
    await page.click('#act');
    await page.waitForFunction(() => (window as unknown as { __peract: ViewerState }).__peract.lastAct !== null, null, { timeout: 60_000 });
    const s = await state();
    expect(s.lastAct).toMatchObject({ success: true });
    // The network ran once, on this goal, and the page got its target.
    expect(returned).toHaveLength(1);
    const action = returned[0].action;
    const t = s.lastAct?.target;
    expect([t?.position.x, t?.position.y, t?.position.z]).toEqual(action.positionMetres);
    // The arm moved, and to the network's action: the tool point within 5 mm, the rotation within 3 degrees.
    const moved = bridge.env.jointPositionsRad.map((q, i) => Math.abs(q - before[i]));
    expect(Math.max(...moved)).toBeGreaterThan(0.05);
    const tool = bridge.env.physics.handPose();
    expect(Math.hypot(...tool.positionMetres.map((v, i) => v - action.positionMetres[i]))).toBeLessThan(0.005);
    expect(quaternionAngle(tool.quaternion, action.quaternion)).toBeLessThan((3 * Math.PI) / 180);
    // Its top voxels are on screen.
    await page.waitForFunction(() => (window as unknown as { __peract: ViewerState }).__peract.voxelsShown > 0, null, { timeout: 5000 });
    expect((await state()).voxelsShown).toBe(Math.min(64, returned[0].topVoxels.length));
    expect(await page.locator('#status').textContent()).toMatch(/^done/);
  });
});

describe.skipIf(!haveChromium && !process.env.CI)('the viewer without an agent', () => {
  it('says that no agent is loaded', async () => {
    const bridge = await startSimBridge({ port: 0, task: 'reach_target' });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.goto(bridge.viewerUrl);
      await page.waitForFunction(() => (window as unknown as { __peract?: ViewerState }).__peract?.connected === true, null, { timeout: 10_000 });
      await page.click('#act');
      await page.waitForFunction(() => (window as unknown as { __peract: ViewerState }).__peract.lastAct !== null, null, { timeout: 10_000 });
      expect(await page.locator('#status').textContent()).toMatch(/no agent is loaded/);
    } finally {
      await browser.close();
      await bridge.close();
    }
  });
});

describe.skipIf(!haveChromium && !process.env.CI)('recording from the viewer', () => {
  it('shows the record buttons once `peract record` runs, and they start and discard an episode', async () => {
    const bridge = await startSimBridge({ port: 0, task: 'reach_target', rateHz: 20 });
    const dir = await mkdtemp(join(tmpdir(), 'peract-viewer-record-'));
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    const recorder = await Recorder.open({ robot: { url: bridge.url }, out: dir, task: 'reach_target', goal: 'reach the target' });
    const services = await advertiseRecordServices(recorder);
    try {
      const page = await browser.newPage();
      await page.goto(bridge.viewerUrl);
      await page.waitForFunction(() => (window as unknown as { __peract?: ViewerState }).__peract?.recorderFound === true, null, { timeout: 15_000 });
      expect(await page.locator('#record').isVisible()).toBe(true);
      await page.click('#record-start');
      await page.waitForFunction(() => (window as unknown as { __peract: ViewerState }).__peract.lastRecord !== null, null, { timeout: 10_000 });
      expect(await page.locator('#status').textContent()).toBe('record: recording reach_target/ep0');
      expect(recorder.status.state).toBe('recording');
      await page.click('#record-discard');
      await page.waitForFunction(() => /discarded/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 10_000 });
      expect(await page.locator('#status').textContent()).toBe('record: discarded episode 0');
      expect(recorder.status.state).toBe('idle');
    } finally {
      await services.close();
      await recorder.close();
      await browser.close();
      await bridge.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
