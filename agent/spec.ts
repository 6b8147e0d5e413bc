import { assertPositiveInteger, invalidArgument } from '../core/index.js';
import { checkBounds, checkTokenizerKind, type SceneBounds, type TokenizerKind } from '../perception/index.js';

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
}

/**
 * The simulator's workspace (robot base at the origin, table top at z = 0, objects at
 * x 0.3-0.7 m): an 0.8 m cube, so the `cpu` preset's 48^3 grid has 1.7 cm voxels. PerAct's own
 * bounds (`PERACT_BOUNDS`) describe RLBench's world frame, not this one.
 */
export const TABLETOP_BOUNDS: SceneBounds = [0.1, -0.4, -0.05, 0.9, 0.4, 0.75];

export function agentSpec(partial: Partial<AgentSpec> & { gridSize: number }): AgentSpec {
  const spec: AgentSpec = {
    bounds: checkBounds(partial.bounds ?? TABLETOP_BOUNDS, 'spec.bounds'),
    gridSize: partial.gridSize,
    rotationResolutionDeg: partial.rotationResolutionDeg ?? 5,
    tokenLength: partial.tokenLength ?? 77,
    tokenizer: checkTokenizerKind(partial.tokenizer ?? 'words-v1', 'spec.tokenizer'),
    episodeLength: partial.episodeLength ?? 25,
  };
  assertPositiveInteger(spec.gridSize, 'spec.gridSize');
  assertPositiveInteger(spec.tokenLength, 'spec.tokenLength', 2);
  assertPositiveInteger(spec.episodeLength, 'spec.episodeLength', 2);
  if (!(spec.rotationResolutionDeg > 0) || !Number.isInteger(360 / spec.rotationResolutionDeg)) {
    throw invalidArgument('spec.rotationResolutionDeg', `must divide 360, got ${spec.rotationResolutionDeg}`);
  }
  return spec;
}
