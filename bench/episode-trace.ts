/**
 * What a policy does, action by action, in a few episodes of one task: position (cm), gripper,
 * collision flag, refusals, and how the episode ended, plus a summary of repeated actions (an
 * action within 1 cm of the one before, gripper unchanged). The evidence behind the README's
 * failure breakdown.
 *
 *   npx tsx bench/episode-trace.ts --checkpoint models/peract-c2f --task stack_blocks --episodes 5 --seed-block 1000
 */
import { Command } from 'commander';
import { loadPolicy, rollout, selectBackend } from '../agent/index.js';
import { episodeSeed } from '../core/index.js';
import { SimEnv } from '../sim/index.js';

const o = new Command('episode-trace')
  .description('trace a policy\'s actions over a few episodes of one task (JSON lines)')
  .requiredOption('--checkpoint <dir>', 'checkpoint or run folder')
  .requiredOption('--task <name>', 'task name')
  .option('--episodes <n>', 'episodes', '5')
  .option('--seed-block <n>', 'seed block (episode k has seed block*100000+k)', '1000')
  .parse()
  .opts<{ checkpoint: string; task: string; episodes: string; seedBlock: string }>();

await selectBackend('wasm');
const { policy } = await loadPolicy(o.checkpoint);
const env = new SimEnv();
let repeats = 0;
let actions = 0;
try {
  for (let k = 0; k < Number(o.episodes); k++) {
    const seed = episodeSeed(Number(o.seedBlock), k);
    const result = await rollout(env, policy, { task: o.task, seed });
    const steps = result.steps.map((s) => ({
      cm: s.action.positionMetres.map((x) => Math.round(x * 1000) / 10),
      open: s.action.gripperOpen,
      ignoreCollisions: s.action.ignoreCollisions,
      ...(s.refused ? { refused: true } : {}),
      ...(s.failureReason ? { reason: s.failureReason.slice(0, 80) } : {}),
    }));
    for (let i = 1; i < result.steps.length; i++) {
      const a = result.steps[i - 1].action;
      const b = result.steps[i].action;
      const d = Math.hypot(...a.positionMetres.map((x, j) => x - b.positionMetres[j]));
      if (d < 0.01 && a.gripperOpen === b.gripperOpen) repeats++;
    }
    actions += result.steps.length;
    process.stdout.write(`${JSON.stringify({ task: o.task, seed, goal: result.goal, outcome: result.outcome, reason: result.failureReason, steps })}\n`);
  }
} finally {
  await env.close();
}
process.stdout.write(`${JSON.stringify({ name: `episode-trace/${o.task}/repeated-actions`, median: actions ? (100 * repeats) / actions : 0, unit: 'percent', actions, repeats })}\n`);
