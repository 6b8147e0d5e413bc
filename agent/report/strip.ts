import { assertPositiveInteger, invalidArgument, writeFileAtomic, type CameraFrame } from '../../core/index.js';
import type { RolloutOutcome, RolloutResult } from '../evaluation/rollout.js';
import { COLOURS } from '../../viz/colours.js';
import { CELL_WIDTH } from '../../viz/font5x7.js';
import { blitImage, createImage, encodePng, type Image, type Rgb } from '../../viz/image.js';
import { CAPTION_HEIGHT, renderFinalPanel, renderStepPanel } from './panel.js';
import { drawText, textHeight, truncateText, wrapText } from '../../viz/text.js';

export interface RolloutStripOptions {
  /** Nearest-neighbour magnification of the camera frames. Default 2 (128 -> 256 px). */
  scale?: number;
  /** Panels per row before wrapping. Default 6. */
  maxPerRow?: number;
  /** Top voxels drawn per step. Default 5. */
  topVoxelCount?: number;
  /** Length of the drawn gripper axes. Default 0.05 m. */
  axisLengthMetres?: number;
}

/** Where one panel sits in the strip (its picture; the caption is under it). */
export interface PanelPlacement {
  /** The step number, or 'final' for the closing panel. */
  step: number | 'final';
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RolloutStripLayout {
  width: number;
  height: number;
  headerLines: string[];
  panels: PanelPlacement[];
}

const MARGIN = 8;
const GAP = 8;
const MIN_WIDTH = 480;
const DEFAULT_FRAME_SIZE = 128;
const HEADER_SCALE = 2;

const OUTCOME_STYLE: Record<RolloutOutcome, [string, Rgb]> = {
  success: ['SUCCESS', COLOURS.success],
  failure: ['FAILED', COLOURS.failure],
  limit: ['LIMIT', COLOURS.limit],
};

function checkResult(result: RolloutResult): void {
  if (!result || typeof result !== 'object') throw invalidArgument('result', 'must be a RolloutResult');
  if (!Array.isArray(result.steps)) throw invalidArgument('result.steps', 'must be an array');
  if (!(result.outcome in OUTCOME_STYLE)) throw invalidArgument('result.outcome', `must be success, failure or limit, got ${String(result.outcome)}`);
  result.steps.forEach((s, i) => {
    if (!s || typeof s !== 'object' || !s.action) throw invalidArgument(`result.steps[${i}]`, 'must be a RolloutStep with an action');
  });
}

function resolveOptions(options: RolloutStripOptions): Required<RolloutStripOptions> {
  const resolved = { scale: 2, maxPerRow: 6, topVoxelCount: 5, axisLengthMetres: 0.05, ...options };
  assertPositiveInteger(resolved.scale, 'scale');
  assertPositiveInteger(resolved.maxPerRow, 'maxPerRow');
  assertPositiveInteger(resolved.topVoxelCount, 'topVoxelCount', 0);
  if (!Number.isFinite(resolved.axisLengthMetres) || resolved.axisLengthMetres <= 0) {
    throw invalidArgument('axisLengthMetres', `must be a positive number, got ${resolved.axisLengthMetres}`);
  }
  return resolved;
}

function firstFrame(result: RolloutResult): CameraFrame | undefined {
  return result.steps.find((s) => s.frame)?.frame ?? result.finalFrame;
}

function panelSize(result: RolloutResult, scale: number): { width: number; height: number } {
  const frame = firstFrame(result);
  return { width: (frame?.width ?? DEFAULT_FRAME_SIZE) * scale, height: (frame?.height ?? DEFAULT_FRAME_SIZE) * scale };
}

/** One panel per step, then the final frame (always shown, as a placeholder when not kept). */
function panelSteps(result: RolloutResult): (number | 'final')[] {
  return [...result.steps.map((s) => s.step), 'final'];
}

/** Header: the outcome and the goal (2x, wrapped), then task / variation / seed (1x). */
function headerText(result: RolloutResult, width: number): { goalLines: string[]; detail: string } {
  const [outcomeText] = OUTCOME_STYLE[result.outcome];
  const chars = Math.floor((width - 2 * MARGIN) / (CELL_WIDTH * HEADER_SCALE));
  const goalLines = wrapText(`${outcomeText}  ${String(result.goal ?? '')}`, chars).slice(0, 4);
  const detailParts = [
    `task ${String(result.task)}`,
    `variation ${String(result.variation)}`,
    `seed ${String(result.seed)}`,
    `${result.steps.length} step${result.steps.length === 1 ? '' : 's'}`,
  ];
  return { goalLines, detail: detailParts.join('   ') };
}

/** The strip's size and where each panel goes; `rolloutStrip` draws exactly this. */
export function rolloutStripLayout(result: RolloutResult, options: RolloutStripOptions = {}): RolloutStripLayout {
  checkResult(result);
  const o = resolveOptions(options);
  const size = panelSize(result, o.scale);
  const steps = panelSteps(result);
  const columns = Math.min(o.maxPerRow, steps.length);
  const width = Math.max(MIN_WIDTH, 2 * MARGIN + columns * size.width + (columns - 1) * GAP);
  const { goalLines } = headerText(result, width);
  const detailLines = result.failureReason ? 2 : 1;
  const headerHeight = MARGIN + goalLines.length * textHeight(HEADER_SCALE) + 4 + detailLines * (textHeight(1) + 2) + MARGIN;
  const cellHeight = size.height + CAPTION_HEIGHT + GAP;
  const rows = Math.ceil(steps.length / columns);
  const panels = steps.map((step, i) => ({
    step,
    x: MARGIN + (i % columns) * (size.width + GAP),
    y: headerHeight + Math.floor(i / columns) * cellHeight,
    width: size.width,
    height: size.height,
  }));
  return { width, height: headerHeight + rows * cellHeight - GAP + MARGIN, headerLines: goalLines, panels };
}

function renderPanels(result: RolloutResult, o: Required<RolloutStripOptions>, width: number, height: number): Image[] {
  const panelOptions = { width, height, topVoxelCount: o.topVoxelCount, axisLengthMetres: o.axisLengthMetres };
  const [outcomeText, outcomeColour] = OUTCOME_STYLE[result.outcome];
  return [
    ...result.steps.map((step) => renderStepPanel(step, panelOptions)),
    renderFinalPanel(result.finalFrame, outcomeText, outcomeColour, panelOptions),
  ];
}

/**
 * A picture of one rollout: a header (outcome, goal, task, variation, seed), then one panel per
 * step (the front camera before acting, the predicted position as a magenta ring, the target
 * gripper axes x red / y green / z blue, the top voxels as cyan dots, and a caption), and a final
 * panel with the camera after the last step. Panels wrap after `maxPerRow`.
 */
export function rolloutStrip(result: RolloutResult, options: RolloutStripOptions = {}): Image {
  const layout = rolloutStripLayout(result, options);
  const o = resolveOptions(options);
  const image = createImage(layout.width, layout.height, COLOURS.background);
  const [outcomeText, outcomeColour] = OUTCOME_STYLE[result.outcome];
  layout.headerLines.forEach((line, i) => {
    const y = MARGIN + i * textHeight(HEADER_SCALE);
    if (i === 0 && line.startsWith(outcomeText)) {
      const x = MARGIN + drawText(image, outcomeText, MARGIN, y, outcomeColour, { scale: HEADER_SCALE });
      drawText(image, line.slice(outcomeText.length), x, y, COLOURS.text, { scale: HEADER_SCALE });
    } else {
      drawText(image, line, MARGIN, y, COLOURS.text, { scale: HEADER_SCALE });
    }
  });
  const { detail } = headerText(result, layout.width);
  const detailY = MARGIN + layout.headerLines.length * textHeight(HEADER_SCALE) + 4;
  const lineChars = Math.floor((layout.width - 2 * MARGIN) / CELL_WIDTH);
  drawText(image, truncateText(detail, lineChars), MARGIN, detailY, COLOURS.dimText);
  if (result.failureReason) {
    drawText(image, truncateText(`failed: ${result.failureReason}`, lineChars), MARGIN, detailY + textHeight(1) + 2, COLOURS.failure);
  }

  const first = layout.panels[0];
  const panels = renderPanels(result, o, first.width, first.height);
  panels.forEach((panel, i) => blitImage(image, panel, layout.panels[i].x, layout.panels[i].y));
  return image;
}

/** Writes `rolloutStrip(result)` as a PNG, atomically. */
export async function writeRolloutPng(path: string, result: RolloutResult, options: RolloutStripOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodePng(rolloutStrip(result, options)));
}
