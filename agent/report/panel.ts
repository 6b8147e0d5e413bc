import { assertFiniteArray, canonicalQuaternion, rotateVector, type Action, type CameraFrame, type Vec3, type VoxelScore } from '../../core/index.js';
import type { RolloutStep } from '../evaluation/rollout.js';
import { COLOURS } from '../../viz/colours.js';
import { blitFrame, createImage, drawCircle, drawLine, fillRect, mix, strokeRect, type Image, type Rgb } from '../../viz/image.js';
import { makeProjector } from '../../viz/project.js';
import { drawText, textHeight, truncateText } from '../../viz/text.js';
import { CELL_WIDTH } from '../../viz/font5x7.js';

export interface PanelOptions {
  /** Panel picture size in pixels (the frame is scaled to it, nearest-neighbour). */
  width: number;
  height: number;
  /** Top voxels drawn per step, best first. Default 5. */
  topVoxelCount?: number;
  /** Length of the drawn gripper axes. Default 0.05 m. */
  axisLengthMetres?: number;
}

/** Caption height under each panel: two lines of 1x text with padding. */
export const CAPTION_HEIGHT = 2 * textHeight(1) + 6;

/** Where a world point lands in a panel drawn at `width x height` from `frame`. */
export function panelPixel(frame: CameraFrame, project: ReturnType<typeof makeProjector>, point: Vec3, width: number, height: number): { x: number; y: number; inFront: boolean } {
  const p = project(point);
  // u = i is the centre of pixel i, so its left edge is at i - 0.5.
  return { x: ((p.u + 0.5) * width) / frame.width, y: ((p.v + 0.5) * height) / frame.height, inFront: p.inFront };
}

/**
 * Draws the overlays of one step on a panel: top voxels as dots (brighter = higher score), the
 * action's gripper axes (x red, y green, z blue; z, the approach axis, drawn last and thickest)
 * and the predicted position as a magenta ring with a centre dot. Returns whether the predicted
 * position is in view.
 */
function drawOverlays(panel: Image, frame: CameraFrame, action: Action, voxels: readonly VoxelScore[], options: PanelOptions): boolean {
  const project = makeProjector(frame);
  const at = (p: Vec3): { x: number; y: number; inFront: boolean } => panelPixel(frame, project, p, options.width, options.height);

  const count = Math.max(0, Math.floor(options.topVoxelCount ?? 5));
  const best = voxels.slice(0, count).filter((v) => Number.isFinite(v.score) && v.positionMetres?.length === 3 && v.positionMetres.every(Number.isFinite));
  const maxScore = Math.max(1e-12, ...best.map((v) => v.score));
  // Worst first, so the best voxel's dot ends on top.
  for (let i = best.length - 1; i >= 0; i--) {
    const p = at(best[i].positionMetres);
    if (!p.inFront) continue;
    const colour = mix(COLOURS.voxelDim, COLOURS.voxelBright, best[i].score / maxScore);
    drawCircle(panel, p.x, p.y, 2, colour, { filled: true });
  }

  assertFiniteArray(action.positionMetres, 3, 'action.positionMetres');
  const q = canonicalQuaternion(action.quaternion, 'action.quaternion');
  const origin = at(action.positionMetres);
  const length = options.axisLengthMetres ?? 0.05;
  const axes: [Vec3, Rgb, number][] = [
    [[length, 0, 0], COLOURS.axisX, 2],
    [[0, length, 0], COLOURS.axisY, 2],
    [[0, 0, length], COLOURS.axisZ, 3],
  ];
  if (origin.inFront) {
    // Ring first, axes over it (they are short at 5 cm and must stay visible), centre dot last.
    drawCircle(panel, origin.x, origin.y, 7, COLOURS.markerOutline, { thicknessPx: 1 });
    drawCircle(panel, origin.x, origin.y, 6, COLOURS.marker, { thicknessPx: 2 });
    for (const [local, colour, thickness] of axes) {
      const d = rotateVector(q, local);
      const tip = at([action.positionMetres[0] + d[0], action.positionMetres[1] + d[1], action.positionMetres[2] + d[2]]);
      if (tip.inFront) drawLine(panel, origin.x, origin.y, tip.x, tip.y, colour, thickness);
    }
    drawCircle(panel, origin.x, origin.y, 1.5, COLOURS.marker, { filled: true });
  }
  const inView = origin.inFront && origin.x >= 0 && origin.y >= 0 && origin.x < options.width && origin.y < options.height;
  if (origin.inFront && !inView) {
    // Pin an off-view target to the nearest edge so the direction it went is still visible.
    const x = Math.min(options.width - 5, Math.max(4, origin.x));
    const y = Math.min(options.height - 5, Math.max(4, origin.y));
    drawCircle(panel, x, y, 4, COLOURS.markerOutline, { filled: true });
    drawCircle(panel, x, y, 3, COLOURS.marker, { filled: true });
  }
  return inView;
}

function drawFrameOrPlaceholder(panel: Image, frame: CameraFrame | undefined, width: number, height: number): void {
  if (frame) {
    blitFrame(panel, frame, 0, 0, width, height);
    return;
  }
  fillRect(panel, 0, 0, width, height, COLOURS.panelPlaceholder);
  drawText(panel, 'no frame kept', 4, 4, COLOURS.dimText);
}

/**
 * One step's panel: the frame before acting with the overlays, and a two-line caption under it
 * (step, gripper, collision mode; then the failure reason, success, or the policy's time).
 */
export function renderStepPanel(step: RolloutStep, options: PanelOptions): Image {
  const { width, height } = options;
  const panel = createImage(width, height + CAPTION_HEIGHT, COLOURS.background);
  drawFrameOrPlaceholder(panel, step.frame, width, height);
  let inView = true;
  if (step.frame) inView = drawOverlays(panel, step.frame, step.action, step.topVoxels ?? [], options);
  if (step.failureReason) strokeRect(panel, 0, 0, width, height, COLOURS.failure);
  else if (step.success) strokeRect(panel, 0, 0, width, height, COLOURS.success);

  const maxChars = Math.max(4, Math.floor(width / CELL_WIDTH));
  const gripper = step.action.gripperOpen ? 'open' : 'closed';
  const collision = step.action.ignoreCollisions ? 'coll:ignore' : 'coll:avoid';
  drawText(panel, truncateText(`${step.step}: ${gripper}  ${collision}`, maxChars), 0, height + 3, COLOURS.text);
  let second: [string, Rgb];
  if (step.failureReason) second = [`FAIL ${step.failureReason}`, COLOURS.failure];
  else if (step.success) second = ['success', COLOURS.success];
  else if (step.frame && !inView) second = ['target out of view', COLOURS.limit];
  else second = [Number.isFinite(step.actMs) ? `act ${step.actMs.toFixed(0)} ms` : '', COLOURS.dimText];
  drawText(panel, truncateText(second[0], maxChars), 0, height + 3 + textHeight(1) + 1, second[1]);
  return panel;
}

/** The closing panel: the camera after the last step. */
export function renderFinalPanel(frame: CameraFrame | undefined, outcomeText: string, outcomeColour: Rgb, options: PanelOptions): Image {
  const { width, height } = options;
  const panel = createImage(width, height + CAPTION_HEIGHT, COLOURS.background);
  drawFrameOrPlaceholder(panel, frame, width, height);
  strokeRect(panel, 0, 0, width, height, outcomeColour);
  drawText(panel, 'final', 0, height + 3, COLOURS.text);
  drawText(panel, outcomeText, 0, height + 3 + textHeight(1) + 1, outcomeColour);
  return panel;
}
