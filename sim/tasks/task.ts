import type { Action, Pose, Rng } from '../../core/index.js';
import type { SceneSpec } from '../scene.js';

/** What a task may read of the simulated world (a subset of the physics world). */
export interface TaskWorldView {
  bodyPose(name: string): Pose;
  jointValue(bodyName: string): number;
  heldBody(): string | null;
  handPose(): Pose;
}

/** One waypoint of a scripted expert: an agent-level action and what it is for. */
export interface ExpertStep {
  action: Action;
  label: string;
}

/** A task with its variation and random layout fixed: what one episode runs. */
export interface TaskInstance {
  /** The task's objects (the environment adds the table and the robot). */
  scene: SceneSpec;
  /** Every phrasing of the goal; an episode uses one of them. */
  goals: string[];
  /**
   * What the goal names, by placeholder (`colour`: 'red', `count`: '3', ...): what a paraphrase
   * of the goal is filled with. The keys are the definition's `slotNames`.
   */
  slots: Record<string, string>;
  /** Called after every physics step, for tasks whose success depends on history (button order). */
  monitor?(world: TaskWorldView): void;
  /** Checked from the physics state after every agent step. */
  success(world: TaskWorldView): boolean;
  /** The scripted expert: waypoints computed from the state right after reset. */
  expert(world: TaskWorldView): ExpertStep[];
}

export interface TaskDefinition {
  name: string;
  /** One line for `--help` and the README. */
  description: string;
  variationCount: number;
  /** Agent actions allowed per episode. */
  episodeLimit: number;
  /** The placeholders every instance's `slots` fills (what a paraphrased goal may name). */
  slotNames: readonly string[];
  /** Builds an episode; `rng` draws the layout (positions, distractors), `variation` the goal. */
  build(variation: number, rng: Rng): TaskInstance;
}
