import { PeractError } from '../../core/index.js';
import { assignParams, latestCheckpoint, loadCheckpoint, type CheckpointConfig } from '../checkpoint/index.js';
import { createNetwork } from '../network/index.js';
import { PeractPolicy, type PeractPolicyOptions } from './peract-policy.js';
import { agentSpec, type AgentSpec } from '../encoding/spec.js';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LoadedPolicy {
  policy: PeractPolicy;
  config: CheckpointConfig;
  /** The checkpoint folder that was read. */
  dir: string;
}

/**
 * A policy from a checkpoint folder, or from a run folder (its newest checkpoint). The caller
 * selects the tensor backend first (`selectBackend`).
 */
export async function loadPolicy(path: string, options: PeractPolicyOptions = {}): Promise<LoadedPolicy> {
  const dir = await resolveCheckpointDir(path);
  const loaded = await loadCheckpoint(dir, { optimizer: false });
  const c = loaded.config;
  const net = createNetwork(c.network, 0);
  assignParams(net.params, loaded.model);
  return { policy: new PeractPolicy(net, checkpointSpec(c), options), config: c, dir };
}

/** How a checkpoint discretises observations and reads goals (its vocabulary's added words included). */
export function checkpointSpec(c: CheckpointConfig): AgentSpec {
  return agentSpec({
    bounds: [c.bounds[0], c.bounds[1], c.bounds[2], c.bounds[3], c.bounds[4], c.bounds[5]],
    gridSize: c.gridSize,
    rotationResolutionDeg: c.rotationResolutionDeg,
    tokenLength: c.tokenizer.length,
    tokenizer: c.network.tokenizer,
    episodeLength: c.episodeLength ?? 25,
    fineCubeMetres: c.network.fineCubeMetres,
    ...(c.tokenizer.addedWords ? { addedWords: c.tokenizer.addedWords } : {}),
  });
}

/** A folder with config.json is a checkpoint; otherwise it must be a run folder with one. */
export async function resolveCheckpointDir(path: string): Promise<string> {
  const isFile = await stat(join(path, 'config.json')).then(
    (s) => s.isFile(),
    () => false,
  );
  if (isFile) return path;
  const latest = await latestCheckpoint(path);
  if (!latest) throw new PeractError('NOT_FOUND', 'holds no complete checkpoint (no checkpoints/step-*/config.json)', { field: path });
  return latest.dir;
}
