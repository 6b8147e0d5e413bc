export {
  rolloutStrip,
  rolloutStripLayout,
  writeRolloutPng,
  rolloutGif,
  writeRolloutGif,
  type RolloutStripOptions,
  type RolloutGifOptions,
  type RolloutStripLayout,
  type PanelPlacement,
} from './strip.js';
export { panelPixel } from './panel.js';
