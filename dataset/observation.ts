import { invalidArgument, type Observation } from '../core/index.js';
import type { EpisodeRecord } from './types.js';

/**
 * The Observation an agent would have seen at a recorded frame of a demonstration. `step`
 * defaults to the agent steps taken by then: the number of keyframes at or before the frame
 * (0 at the start, 1 once the first keyframe is reached, ...).
 */
export function observationAt(episode: EpisodeRecord, frameIndex: number, step?: number): Observation {
  const frame = episode.frames[frameIndex];
  if (!Number.isInteger(frameIndex) || !frame) {
    throw invalidArgument('frameIndex', `must be an integer in [0, ${episode.frames.length - 1}], got ${String(frameIndex)}`);
  }
  const cameras = episode.images.get(frameIndex);
  if (!cameras) {
    const recorded = [...episode.images.keys()].sort((a, b) => a - b);
    throw invalidArgument('frameIndex', `frame ${frameIndex} has no images (loaded: ${recorded.join(', ') || 'none'})`);
  }
  const stepIndex = step ?? episode.keyframes.filter((k) => k <= frameIndex).length;
  if (!Number.isInteger(stepIndex) || stepIndex < 0) throw invalidArgument('step', `must be an integer >= 0, got ${String(step)}`);
  return {
    cameras: [...cameras],
    gripperPose: {
      positionMetres: [...frame.gripperPose.positionMetres],
      quaternion: [...frame.gripperPose.quaternion],
    },
    gripperOpen: frame.gripperOpen,
    fingerWidthsMetres: [frame.fingerWidthsMetres[0], frame.fingerWidthsMetres[1]],
    step: stepIndex,
    jointPositionsRad: [...frame.jointPositionsRad],
  };
}
