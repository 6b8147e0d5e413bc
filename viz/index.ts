export {
  createImage,
  checkImage,
  getPixel,
  setPixel,
  fillRect,
  strokeRect,
  drawLine,
  drawCircle,
  drawCross,
  blitImage,
  blitFrame,
  encodePng,
  decodePng,
  mix,
  type Image,
  type Rgb,
} from './image.js';
export { drawText, textWidth, textHeight, truncateText, wrapText, toFontText, type TextOptions } from './text.js';
export { CELL_WIDTH, CELL_HEIGHT, GLYPH_WIDTH, GLYPH_HEIGHT } from './font5x7.js';
export { projectPoint, makeProjector, type ProjectedPoint, type Projector } from './project.js';
export { COLORS, SERIES_COLORS } from './colours.js';
export { encodeGif, GIF_PALETTE, paletteIndex, type GifOptions } from './gif.js';
export {
  trainingCurve,
  trainingCurveSvg,
  writeTrainingCurvePng,
  writeTrainingCurveSvg,
  formatTick,
  type ChartSeries,
  type TrainingCurveOptions,
} from './chart.js';
