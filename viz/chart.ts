import { invalidArgument, writeFileAtomic } from '../core/index.js';
import { COLOURS, SERIES_COLOURS } from './colours.js';
import { CELL_HEIGHT, CELL_WIDTH } from './font5x7.js';
import { blitImage, createImage, drawLine, fillRect, encodePng, type Image, type Rgb } from './image.js';
import { drawText, textWidth, toFontText, truncateText } from './text.js';

/** One line on a chart: `[step, value]` pairs. Non-finite values break the line. */
export interface ChartSeries {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface TrainingCurveOptions {
  title: string;
  yLabel: string;
  /** Default 'step'. */
  xLabel?: string;
  /** Logarithmic y axis (values <= 0 are left out). */
  logY?: boolean;
  /** Fixed y range instead of the data's (e.g. [0, 1] for accuracies). */
  yRange?: [number, number];
  /** Picture size in pixels. Default 720 x 420. */
  width?: number;
  height?: number;
}

interface Tick {
  /** Position in axis units (log10 of the value on a log axis). */
  at: number;
  label: string;
}

interface Segment {
  seriesIndex: number;
  /** Pixel coordinates relative to the plot area's top-left. */
  points: [number, number][];
}

/** Everything both renderers draw, in pixels: computed once so the PNG and the SVG agree. */
interface ChartModel {
  width: number;
  height: number;
  title: string;
  xLabel: string;
  yLabel: string;
  plot: { x: number; y: number; width: number; height: number };
  xTicks: { px: number; label: string }[];
  yTicks: { py: number; label: string }[];
  legend: { name: string; colour: Rgb; empty: boolean }[];
  legendBox: { x: number; y: number };
  segments: Segment[];
  hasData: boolean;
}

const TITLE_SCALE = 2;
const TICK_LENGTH = 4;
const LEGEND_SWATCH = 14;

function checkSeries(series: readonly ChartSeries[]): void {
  if (!Array.isArray(series)) throw invalidArgument('series', 'must be an array of { name, points }');
  series.forEach((s, i) => {
    if (!s || typeof s !== 'object' || typeof s.name !== 'string') throw invalidArgument(`series[${i}].name`, 'must be a string');
    if (!Array.isArray(s.points)) throw invalidArgument(`series[${i}].points`, 'must be an array of [step, value]');
    (s.points as readonly unknown[]).forEach((p: unknown, j: number) => {
      if (!Array.isArray(p) || p.length !== 2) throw invalidArgument(`series[${i}].points[${j}]`, 'must be a [step, value] pair');
    });
  });
}

function checkOptions(options: TrainingCurveOptions): Required<Omit<TrainingCurveOptions, 'yRange'>> & { yRange?: [number, number] } {
  if (!options || typeof options !== 'object') throw invalidArgument('options', 'must be { title, yLabel }');
  if (typeof options.title !== 'string') throw invalidArgument('options.title', 'must be a string');
  if (typeof options.yLabel !== 'string') throw invalidArgument('options.yLabel', 'must be a string');
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  if (!Number.isInteger(width) || width < 200) throw invalidArgument('options.width', `must be an integer >= 200, got ${width}`);
  if (!Number.isInteger(height) || height < 150) throw invalidArgument('options.height', `must be an integer >= 150, got ${height}`);
  const yRange = options.yRange;
  if (yRange !== undefined) {
    const bad = !Array.isArray(yRange) || yRange.length !== 2 || !yRange.every(Number.isFinite) || !(yRange[1] > yRange[0]);
    if (bad || (options.logY && yRange[0] <= 0)) throw invalidArgument('options.yRange', 'must be [min, max] with min < max (min > 0 on a log axis)');
  }
  return { title: options.title, yLabel: options.yLabel, xLabel: options.xLabel ?? 'step', logY: options.logY ?? false, width, height, ...(yRange ? { yRange } : {}) };
}

/** The largest "nice" step (1, 2 or 5 times a power of ten) giving about `target` intervals. */
function niceStep(range: number, target: number): number {
  const raw = range / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return value.toExponential(Math.max(0, Math.min(3, Math.ceil(-Math.log10(step / magnitude) - 1e-9)))).replace('e+', 'e');
  const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step) - 1e-9)));
  return value.toFixed(decimals);
}

function linearTicks(min: number, max: number, target: number): Tick[] {
  const step = niceStep(max - min, target);
  const ticks: Tick[] = [];
  const first = Math.ceil(min / step - 1e-9);
  // The cap only matters for ranges so narrow that floating point breaks the step arithmetic.
  for (let i = first; i * step <= max + step * 1e-9 && i - first < 50; i++) {
    const v = i * step;
    ticks.push({ at: v, label: formatTick(Math.abs(v) < step * 1e-9 ? 0 : v, step) });
  }
  return ticks;
}

/** Ticks on a log10 axis whose range is [minLog, maxLog]: decades, plus 2x and 5x when few. */
function logTicks(minLog: number, maxLog: number): Tick[] {
  const decades = maxLog - minLog;
  const multipliers = decades < 1.5 ? [1, 2, 5] : [1];
  if (decades < 0.5) return linearTicks(10 ** minLog, 10 ** maxLog, 4).filter((t) => t.at > 0).map((t) => ({ at: Math.log10(t.at), label: t.label }));
  const stride = Math.max(1, Math.ceil(decades / 8));
  const ticks: Tick[] = [];
  for (let k = Math.floor(minLog); k <= Math.ceil(maxLog); k += stride) {
    for (const m of multipliers) {
      const at = k + Math.log10(m);
      if (at < minLog - 1e-9 || at > maxLog + 1e-9) continue;
      const value = m * 10 ** k;
      const label = k >= -3 && k <= 5 ? formatTick(value, 10 ** Math.min(0, k)) : `${m === 1 ? '' : `${m}x`}1e${k}`;
      ticks.push({ at, label });
    }
  }
  return ticks;
}

/** The data's finite range, padded; degenerate ranges are widened so the axis has a length. */
function paddedRange(values: number[], pad: number): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    const half = Math.abs(lo) > 1e-12 ? Math.abs(lo) * 0.1 : 0.5;
    return [lo - half, hi + half];
  }
  const margin = (hi - lo) * pad;
  lo -= margin;
  hi += margin;
  return [lo, hi];
}

function buildModel(series: readonly ChartSeries[], options: TrainingCurveOptions): ChartModel {
  checkSeries(series);
  const o = checkOptions(options);
  const yOf = (v: number): number => (o.logY ? (v > 0 ? Math.log10(v) : Number.NaN) : v);
  // Keep points with a finite step; sort by step so unordered logs still draw left to right.
  const cleaned = series.map((s) =>
    s.points
      .map(([x, y]) => [Number(x), yOf(Number(y))] as [number, number])
      .filter(([x]) => Number.isFinite(x))
      .sort((a, b) => a[0] - b[0]),
  );
  const finite = cleaned.flat().filter(([, y]) => Number.isFinite(y));
  const hasData = finite.length > 0;
  let [xMin, xMax] = hasData ? [Math.min(...finite.map((p) => p[0])), Math.max(...finite.map((p) => p[0]))] : [0, 1];
  if (xMax - xMin < 1e-12) [xMin, xMax] = [xMin - 1, xMax + 1];
  const [yMin, yMax] = o.yRange
    ? (o.logY ? [Math.log10(o.yRange[0]), Math.log10(o.yRange[1])] : o.yRange)
    : paddedRange(finite.map((p) => p[1]), 0.05);

  const xTickValues = linearTicks(xMin, xMax, 6);
  const yTickValues = o.logY ? logTicks(yMin, yMax) : linearTicks(yMin, yMax, 5);
  const legend = series.map((s, i) => ({
    name: toFontText(s.name),
    colour: SERIES_COLOURS[i % SERIES_COLOURS.length],
    empty: !cleaned[i].some(([, y]) => Number.isFinite(y)),
  }));

  const legendChars = Math.min(24, Math.max(0, ...legend.map((l) => l.name.length + (l.empty ? 10 : 0))));
  const legendWidth = legend.length > 0 ? LEGEND_SWATCH + 6 + legendChars * CELL_WIDTH + 12 : 0;
  const yLabelWidth = Math.max(0, ...yTickValues.map((t) => textWidth(t.label)));
  const left = 10 + yLabelWidth + TICK_LENGTH + 4;
  const top = 10 + CELL_HEIGHT * TITLE_SCALE + 8 + CELL_HEIGHT + 6;
  const right = 16 + legendWidth;
  const bottom = TICK_LENGTH + 4 + CELL_HEIGHT + 8 + CELL_HEIGHT + 10;
  const plot = { x: left, y: top, width: Math.max(20, o.width - left - right), height: Math.max(20, o.height - top - bottom) };
  const toPx = (x: number): number => ((x - xMin) / (xMax - xMin)) * (plot.width - 1);
  const toPy = (y: number): number => (plot.height - 1) - ((y - yMin) / (yMax - yMin)) * (plot.height - 1);

  const segments: Segment[] = [];
  cleaned.forEach((points, seriesIndex) => {
    let current: [number, number][] = [];
    for (const [x, y] of points) {
      if (Number.isFinite(y)) current.push([toPx(x), toPy(y)]);
      else if (current.length > 0) {
        segments.push({ seriesIndex, points: current });
        current = [];
      }
    }
    if (current.length > 0) segments.push({ seriesIndex, points: current });
  });

  return {
    width: o.width,
    height: o.height,
    title: o.title,
    xLabel: o.xLabel,
    yLabel: o.logY ? `${o.yLabel} (log)` : o.yLabel,
    plot,
    xTicks: xTickValues.map((t) => ({ px: Math.round(toPx(t.at)), label: t.label })),
    yTicks: yTickValues.map((t) => ({ py: Math.round(toPy(t.at)), label: t.label })),
    legend,
    legendBox: { x: plot.x + plot.width + 12, y: plot.y },
    segments,
    hasData,
  };
}

function legendLabel(entry: { name: string; empty: boolean }): string {
  return truncateText(entry.empty ? `${entry.name} (no data)` : entry.name, 24);
}

/**
 * A line chart of training series (losses, accuracies): axes with numeric ticks, light grid,
 * one coloured line per series (gaps where values are NaN or, on a log axis, <= 0), a legend on
 * the right, title on top. Empty or all-NaN input draws the axes and "no data".
 */
export function trainingCurve(series: readonly ChartSeries[], options: TrainingCurveOptions): Image {
  const m = buildModel(series, options);
  const image = createImage(m.width, m.height, COLOURS.chartBackground);
  const { plot } = m;
  const titleX = Math.max(4, Math.floor((m.width - textWidth(toFontText(m.title), TITLE_SCALE)) / 2));
  drawText(image, m.title, titleX, 10, COLOURS.chartText, { scale: TITLE_SCALE });
  drawText(image, m.yLabel, 10, plot.y - CELL_HEIGHT - 6, COLOURS.chartText);

  // The plot area is drawn on its own image, so lines clip to it.
  const area = createImage(plot.width, plot.height, COLOURS.chartBackground);
  for (const t of m.yTicks) drawLine(area, 0, t.py, plot.width - 1, t.py, COLOURS.chartGrid);
  for (const t of m.xTicks) drawLine(area, t.px, 0, t.px, plot.height - 1, COLOURS.chartGrid);
  for (const segment of m.segments) {
    const colour = m.legend[segment.seriesIndex].colour;
    const pts = segment.points;
    if (pts.length === 1) fillRect(area, Math.round(pts[0][0]) - 2, Math.round(pts[0][1]) - 2, 5, 5, colour);
    for (let i = 1; i < pts.length; i++) drawLine(area, pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1], colour, 2);
  }
  if (!m.hasData) {
    drawText(area, 'no data', Math.floor((plot.width - textWidth('no data', 2)) / 2), Math.floor(plot.height / 2) - CELL_HEIGHT, COLOURS.dimText, { scale: 2 });
  }
  blitImage(image, area, plot.x, plot.y);

  // Axes: left and bottom edges, ticks outward.
  drawLine(image, plot.x - 1, plot.y, plot.x - 1, plot.y + plot.height, COLOURS.chartAxis);
  drawLine(image, plot.x - 1, plot.y + plot.height, plot.x + plot.width, plot.y + plot.height, COLOURS.chartAxis);
  for (const t of m.yTicks) {
    const y = plot.y + t.py;
    drawLine(image, plot.x - 1 - TICK_LENGTH, y, plot.x - 1, y, COLOURS.chartAxis);
    drawText(image, t.label, plot.x - 1 - TICK_LENGTH - 3 - textWidth(t.label) + 1, y - 3, COLOURS.chartText);
  }
  let lastLabelEnd = -Infinity;
  for (const t of m.xTicks) {
    const x = plot.x + t.px;
    drawLine(image, x, plot.y + plot.height, x, plot.y + plot.height + TICK_LENGTH, COLOURS.chartAxis);
    const labelX = x - Math.floor(textWidth(t.label) / 2);
    // Skip a label that would overlap its left neighbour (long step numbers on a narrow chart).
    if (labelX <= lastLabelEnd) continue;
    drawText(image, t.label, labelX, plot.y + plot.height + TICK_LENGTH + 4, COLOURS.chartText);
    lastLabelEnd = labelX + textWidth(t.label);
  }
  const xLabelY = plot.y + plot.height + TICK_LENGTH + 4 + CELL_HEIGHT + 6;
  drawText(image, m.xLabel, plot.x + Math.floor((plot.width - textWidth(toFontText(m.xLabel))) / 2), xLabelY, COLOURS.chartText);

  m.legend.forEach((entry, i) => {
    const y = m.legendBox.y + i * (CELL_HEIGHT + 8);
    fillRect(image, m.legendBox.x, y + 2, LEGEND_SWATCH, 4, entry.colour);
    drawText(image, legendLabel(entry), m.legendBox.x + LEGEND_SWATCH + 6, y, entry.empty ? COLOURS.dimText : COLOURS.chartText);
  });
  return image;
}

/** Writes `trainingCurve` as a PNG, atomically. */
export async function writeTrainingCurvePng(path: string, series: readonly ChartSeries[], options: TrainingCurveOptions): Promise<void> {
  await writeFileAtomic(path, encodePng(trainingCurve(series, options)));
}
