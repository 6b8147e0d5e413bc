import { assertPositiveInteger, invalidArgument } from '../../core/index.js';
import { checkBounds, checkTokenizerKind, type SceneBounds, type TokenizerKind } from '../../perception/index.js';

/**
 * How observations and actions are discretised for one agent: the voxel grid's bounds and size,
 * the rotation bins, the language length and the episode length that scales proprio time.
 * Saved in every checkpoint so a policy decodes exactly as it was trained.
 */
export interface AgentSpec {
  bounds: SceneBounds;
  gridSize: number;
  rotationResolutionDeg: number;
  tokenLength: number;
  /** How goals become token ids; a policy must use the tokenizer it was trained with. */
  tokenizer: TokenizerKind;
  /** PerAct's proprio time `t = (1 - step / (episodeLength - 1)) * 2 - 1`. */
  episodeLength: number;
  /**
   * Coarse-to-fine: side of the fine level's cube in metres, voxelized at `gridSize` around the
   * coarse level's choice; 0 for a single-level agent.
   */
  fineCubeMetres: number;
  /**
   * `words-v1` only: words a fine-tuned checkpoint appended to the vocabulary, in id order (the
   * checkpoint's `tokenizer.addedWords`). Absent when none were added.
   */
  addedWords?: readonly string[];
}

/**
 * The simulator's workspace (robot base at the origin, table top at z = 0): every demonstrated
 * keyframe lies within x 0.30-0.64, y -0.28-0.28, z 0.01-0.51 m, so the `cpu` preset's 48^3 grid
 * has 1.15 x 1.46 x 1.25 cm voxels. Why not the earlier 0.8 m cube (1.67 cm voxels): a perfect
 * argmax on it scores 80.8 % against 99.6 % here (`npm run bench -- oracle`; push_buttons' press
 * and stack_blocks' placement fall between its voxel centres). PerAct's own bounds
 * (`PERACT_BOUNDS`) describe RLBench's world frame, not this one.
 */
export const TABLETOP_BOUNDS: SceneBounds = [0.2, -0.35, -0.05, 0.75, 0.35, 0.55];

export function agentSpec(partial: Partial<AgentSpec> & { gridSize: number }): AgentSpec {
  const spec: AgentSpec = {
    bounds: checkBounds(partial.bounds ?? TABLETOP_BOUNDS, 'spec.bounds'),
    gridSize: partial.gridSize,
    rotationResolutionDeg: partial.rotationResolutionDeg ?? 5,
    tokenLength: partial.tokenLength ?? 77,
    tokenizer: checkTokenizerKind(partial.tokenizer ?? 'words-v1', 'spec.tokenizer'),
    episodeLength: partial.episodeLength ?? 25,
    fineCubeMetres: partial.fineCubeMetres ?? 0,
    ...(partial.addedWords && partial.addedWords.length > 0 ? { addedWords: [...partial.addedWords] } : {}),
  };
  if (spec.addedWords && spec.tokenizer !== 'words-v1') {
    throw invalidArgument('spec.addedWords', `only a words-v1 vocabulary can be extended, not ${spec.tokenizer}`);
  }
  if (!(Number.isFinite(spec.fineCubeMetres) && spec.fineCubeMetres >= 0)) {
    throw invalidArgument('spec.fineCubeMetres', `must be a number >= 0, got ${spec.fineCubeMetres}`);
  }
  assertPositiveInteger(spec.gridSize, 'spec.gridSize');
  assertPositiveInteger(spec.tokenLength, 'spec.tokenLength', 2);
  assertPositiveInteger(spec.episodeLength, 'spec.episodeLength', 2);
  if (!(spec.rotationResolutionDeg > 0) || !Number.isInteger(360 / spec.rotationResolutionDeg)) {
    throw invalidArgument('spec.rotationResolutionDeg', `must divide 360, got ${spec.rotationResolutionDeg}`);
  }
  return spec;
}

/**
 * The fine cube's default training offset for a coarse-to-fine agent: one coarse voxel's largest
 * edge (the fine level learns to correct a coarse choice that is off by that much); 0 for a
 * single-level agent.
 */
export function defaultFineJitterMetres(spec: AgentSpec): number {
  if (spec.fineCubeMetres === 0) return 0;
  const b = spec.bounds;
  return Math.max(b[3] - b[0], b[4] - b[1], b[5] - b[2]) / spec.gridSize;
}
