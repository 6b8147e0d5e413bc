/** Pictures of rollouts: a strip of one panel per step, with the predicted action drawn on the camera frame. */
export { rolloutStrip, rolloutStripLayout, writeRolloutPng, type RolloutStripOptions, type RolloutStripLayout, type PanelPlacement } from './strip.js';
export { panelPixel } from './panel.js';
