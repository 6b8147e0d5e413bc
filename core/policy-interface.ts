import type { Action, Observation, Vec3 } from './types.js';

/** One of the agent's highest-scoring voxels, for viewers and debugging. */
export interface VoxelScore {
  /** Voxel centre in the world frame. */
  positionMetres: Vec3;
  /** Softmax probability over the translation heatmap. */
  score: number;
}

export interface PolicyOutput {
  action: Action;
  /** Highest-scoring translation voxels, best first (may be empty for scripted policies). */
  topVoxels: VoxelScore[];
}

export interface ActOptions {
  /**
   * Positions (world frame) whose actions the environment refused at this very observation:
   * the policy should choose a position away from them (for PerAct: the best voxel more than
   * one voxel from each). Policies without alternatives may ignore it.
   */
  avoidPositionsMetres?: readonly Vec3[];
}

/** Anything that picks the next-best action from an observation and a language goal. */
export interface Policy {
  act(observation: Observation, goal: string, options?: ActOptions): Promise<PolicyOutput>;
}
