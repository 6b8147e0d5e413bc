/** Generic imaging: an RGB raster with drawing, text, projection, PNG files and line charts. */
export {
  createImage,
  checkImage,
  getPixel,
  setPixel,
  fillRect,
  strokeRect,
  drawLine,
  drawCircle,
  blitImage,
  blitFrame,
  encodePng,
  decodePng,
  mix,
  type Image,
  type Rgb,
} from './image.js';
export { drawText, textWidth, textHeight, truncateText, wrapText, toFontText, type TextOptions } from './text.js';
export { CELL_WIDTH, CELL_HEIGHT } from './font5x7.js';
export { projectPoint, makeProjector, type ProjectedPoint, type Projector } from './project.js';
export { COLOURS, SERIES_COLOURS } from './colours.js';
export { trainingCurve, writeTrainingCurvePng, type ChartSeries, type TrainingCurveOptions } from './chart.js';
