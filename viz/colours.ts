import type { Rgb } from './image.js';

/** The fixed colours of the pictures, named for what they mean. */
export const COLOURS = {
  background: [24, 24, 28] as Rgb,
  panelPlaceholder: [60, 60, 66] as Rgb,
  text: [232, 232, 232] as Rgb,
  dimText: [150, 150, 158] as Rgb,
  success: [60, 200, 90] as Rgb,
  failure: [235, 70, 60] as Rgb,
  limit: [240, 180, 40] as Rgb,
  /** The predicted action position: magenta, which neither a tabletop scene nor the axes use. */
  marker: [255, 0, 255] as Rgb,
  markerOutline: [0, 0, 0] as Rgb,
  axisX: [255, 40, 40] as Rgb,
  axisY: [40, 230, 40] as Rgb,
  axisZ: [50, 110, 255] as Rgb,
  voxelDim: [0, 70, 80] as Rgb,
  voxelBright: [0, 255, 255] as Rgb,
  chartBackground: [255, 255, 255] as Rgb,
  chartAxis: [40, 40, 40] as Rgb,
  chartGrid: [225, 225, 225] as Rgb,
  chartText: [30, 30, 30] as Rgb,
} as const;

/** Series colours for charts (the matplotlib 'tab10' cycle: distinct, and readable on white). */
export const SERIES_COLOURS: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];
