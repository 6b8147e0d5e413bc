import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { CameraFrame, Vec3 } from '../../core/index.js';
import type { RolloutResult, RolloutStep } from '../../agent/evaluation/rollout.js';
import { COLOURS, SERIES_COLOURS, createImage, decodePng, drawLine, drawText, getPixel, makeProjector, projectPoint, textWidth, trainingCurve, writeTrainingCurvePng, type Image, type Rgb } from '../../viz/index.js';
import { panelPixel, rolloutStrip, rolloutStripLayout, writeRolloutPng } from '../../agent/report/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pictures-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A camera 2 m above the origin looking straight down: optical x = world x, y = -world y. */
function downCamera(size = 128): CameraFrame {
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      rgb[i] = 40 + (x % 32);
      rgb[i + 1] = 50 + (y % 32);
      rgb[i + 2] = 70;
    }
  }
  return {
    name: 'front',
    width: size,
    height: size,
    rgb,
    depthMetres: new Float32Array(size * size).fill(2),
    intrinsics: { fx: 110, fy: 110, cx: (size - 1) / 2, cy: (size - 1) / 2 },
    worldFromCamera: [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 2, 0, 0, 0, 1],
  };
}

function countColour(image: Image, colour: Rgb, box?: { x: number; y: number; width: number; height: number }): number {
  const b = box ?? { x: 0, y: 0, width: image.width, height: image.height };
  let n = 0;
  for (let y = b.y; y < b.y + b.height; y++) {
    for (let x = b.x; x < b.x + b.width; x++) {
      const i = (y * image.width + x) * 3;
      if (image.data[i] === colour[0] && image.data[i + 1] === colour[1] && image.data[i + 2] === colour[2]) n++;
    }
  }
  return n;
}

const positions: Vec3[] = [[0.1, 0.2, 1.0], [-0.2, -0.1, 0.9], [0.25, -0.25, 1.1]];

function syntheticRollout(): RolloutResult {
  const steps: RolloutStep[] = positions.map((p, i) => ({
    step: i + 1,
    action: { positionMetres: p, quaternion: [1, 0, 0, 0], gripperOpen: i !== 1, ignoreCollisions: i === 2 },
    topVoxels: [
      { positionMetres: [p[0] + 0.02, p[1], p[2]], score: 0.5 },
      { positionMetres: [p[0] - 0.03, p[1] + 0.02, p[2]], score: 0.2 },
    ],
    success: false,
    done: i === 2,
    actMs: 12 + i,
    frame: downCamera(),
    ...(i === 2 ? { failureReason: 'planner found no path to the target pose' } : {}),
  }));
  return {
    task: 'open_drawer',
    variation: 1,
    seed: 7,
    goal: 'open the top drawer',
    outcome: 'failure',
    success: false,
    failureReason: 'planner found no path to the target pose',
    steps,
    finalFrame: downCamera(),
  };
}

describe('projectPoint', () => {
  it('puts a point on the optical axis at (cx, cy) and flags points behind the camera', () => {
    const frame = downCamera();
    const onAxis = projectPoint(frame, [0, 0, 0.5]);
    expect(onAxis.inFront).toBe(true);
    expect(onAxis.u).toBeCloseTo(63.5, 9);
    expect(onAxis.v).toBeCloseTo(63.5, 9);
    expect(onAxis.depthMetres).toBeCloseTo(1.5, 9);
    expect(projectPoint(frame, [0, 0, 2.5]).inFront).toBe(false);
    // +x world is +x optical (right); +y world is -y optical (up in the image).
    const p = projectPoint(frame, [0.1, 0.2, 1.0]);
    expect(p.u).toBeCloseTo(63.5 + 110 * 0.1, 9);
    expect(p.v).toBeCloseTo(63.5 - 110 * 0.2, 9);
  });

  it('rejects a non-rigid matrix by name', () => {
    const frame = { ...downCamera(), worldFromCamera: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1] };
    expect(() => projectPoint(frame, [0, 0, 0])).toThrow(/worldFromCamera/);
    expect(() => makeProjector(downCamera())([0, Number.NaN, 0] as Vec3)).toThrow(/worldPoint/);
  });
});

describe('raster toolkit', () => {
  it('draws text only inside its box, and replaces non-ASCII with ?', () => {
    const image = createImage(80, 30);
    const width = drawText(image, 'Hi!', 10, 5, [255, 255, 255], { scale: 2 });
    expect(width).toBe(textWidth('Hi!', 2));
    const inside = countColour(image, [255, 255, 255], { x: 10, y: 5, width, height: 16 });
    expect(inside).toBeGreaterThan(40);
    expect(countColour(image, [255, 255, 255])).toBe(inside);
    const a = createImage(12, 8);
    const b = createImage(12, 8);
    drawText(a, 'é', 0, 0, [255, 255, 255]);
    drawText(b, '?', 0, 0, [255, 255, 255]);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(countColour(a, [255, 255, 255])).toBeGreaterThan(0);
  });

  it('draws lines between their endpoints and clips far-away ones cheaply', () => {
    const image = createImage(20, 20);
    drawLine(image, 2, 3, 15, 11, [9, 9, 9]);
    expect(getPixel(image, 2, 3)).toEqual([9, 9, 9]);
    expect(getPixel(image, 15, 11)).toEqual([9, 9, 9]);
    expect(countColour(image, [9, 9, 9])).toBe(14);
    const t0 = performance.now();
    drawLine(image, -1e9, 10, 1e9, 10, [7, 7, 7], 3);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(countColour(image, [7, 7, 7])).toBe(60);
  });
});

describe('rolloutStrip', () => {
  it('lays out one 256 px panel per step plus the final one, with the marker at the projected position', async () => {
    const result = syntheticRollout();
    const path = join(dir, 'strip.png');
    await writeRolloutPng(path, result);
    const png = PNG.sync.read(readFileSync(path));
    const layout = rolloutStripLayout(result);
    expect(png.width).toBe(layout.width);
    expect(png.height).toBe(layout.height);
    expect(layout.panels.map((p) => p.step)).toEqual([1, 2, 3, 'final']);
    expect(layout.panels.every((p) => p.width === 256 && p.height === 256)).toBe(true);
    const image = decodePng(readFileSync(path));
    expect(image.width).toBe(4 * 256 + 3 * 8 + 16);
    for (const [i, position] of positions.entries()) {
      const panel = layout.panels[i];
      const frame = result.steps[i].frame!;
      const at = panelPixel(frame, makeProjector(frame), position, panel.width, panel.height);
      const px = panel.x + Math.floor(at.x);
      const py = panel.y + Math.floor(at.y);
      // The expected pixel from the raw pinhole formula, independently of panelPixel.
      const raw = projectPoint(frame, position);
      expect(px).toBe(panel.x + Math.floor((raw.u + 0.5) * 2));
      expect(py).toBe(panel.y + Math.floor((raw.v + 0.5) * 2));
      expect(getPixel(image, px, py)).toEqual(COLOURS.marker);
      // The ring around it is drawn too; the approach axis (z, pointing down here) is hidden
      // under the marker, but x and y are visible.
      expect(countColour(image, COLOURS.marker, { x: px - 8, y: py - 8, width: 17, height: 17 })).toBeGreaterThan(30);
      expect(countColour(image, COLOURS.axisX, { x: px - 12, y: py - 12, width: 25, height: 25 })).toBeGreaterThan(3);
    }
    // The failure reason shows in red; the header's "FAILED" too.
    expect(countColour(image, COLOURS.failure)).toBeGreaterThan(100);
    expect(countColour(image, COLOURS.success)).toBe(0);
  });

  it('wraps panels into rows and copes with missing frames', () => {
    const base = syntheticRollout();
    const many: RolloutResult = {
      ...base,
      outcome: 'limit',
      steps: Array.from({ length: 8 }, (_, i) => ({ ...base.steps[0], step: i + 1, ...(i % 2 ? { frame: undefined } : {}) })),
    };
    const layout = rolloutStripLayout(many, { maxPerRow: 4, scale: 1 });
    expect(layout.panels.length).toBe(9);
    expect(new Set(layout.panels.map((p) => p.y)).size).toBe(3);
    const image = rolloutStrip(many, { maxPerRow: 4, scale: 1 });
    expect(image.width).toBe(Math.max(480, 4 * 128 + 3 * 8 + 16));
    expect(() => rolloutStrip({ ...many, outcome: 'maybe' as never })).toThrow(/outcome/);
  });
});

describe('trainingCurve', () => {
  const names = ['total', 'translation', 'rotation', 'gripper', 'collision'];
  const series = names.map((name, k) => ({
    name,
    points: Array.from({ length: 50 }, (_, i) => [i * 100, (5 - k) * Math.exp(-i / 15) + 0.05] as [number, number]),
  }));
  series[2].points[10] = [1000, Number.NaN];

  it('draws every series colour inside the plot, on linear and log axes', async () => {
    const path = join(dir, 'curve.png');
    await writeTrainingCurvePng(path, series, { title: 'Loss', yLabel: 'cross-entropy', logY: true });
    const png = PNG.sync.read(readFileSync(path));
    expect([png.width, png.height]).toEqual([720, 420]);
    const image = decodePng(readFileSync(path));
    const plot = { x: 60, y: 50, width: 500, height: 300 };
    for (let k = 0; k < names.length; k++) expect(countColour(image, SERIES_COLOURS[k], plot)).toBeGreaterThan(50);
    const linear = trainingCurve(series, { title: 'Loss', yLabel: 'loss' });
    for (let k = 0; k < names.length; k++) expect(countColour(linear, SERIES_COLOURS[k], plot)).toBeGreaterThan(50);
  });

  it('survives empty, NaN-only and single-point series', () => {
    const odd = [
      { name: 'empty', points: [] },
      { name: 'nan', points: [[0, Number.NaN], [1, Number.NaN]] as [number, number][] },
      { name: 'one', points: [[5, 0.5]] as [number, number][] },
    ];
    const image = trainingCurve(odd, { title: 'Accuracy', yLabel: 'acc', yRange: [0, 1] });
    expect(countColour(image, SERIES_COLOURS[2])).toBeGreaterThan(20);
    expect(() => trainingCurve([], { title: 'none', yLabel: 'y', logY: true })).not.toThrow();
    expect(() => trainingCurve([{ name: 'x', points: [[1, 2, 3]] as never }], { title: 't', yLabel: 'y' })).toThrow(/points\[0\]/);
  });
});
