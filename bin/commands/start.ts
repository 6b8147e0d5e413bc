import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPolicy, rollout, selectBackend, writeRolloutPng } from '../../agent/index.js';
import { episodeSeed } from '../../core/index.js';
import { SimEnv, TASK_NAMES } from '../../sim/index.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { backendOption, intOption, ON_REFUSAL_FLAG, refusalOption } from './options.js';

/** The model committed with the repository and shipped in the package (trained by the commands in the README). */
export const SHIPPED_MODEL = join(PACKAGE_ROOT, 'models', 'peract-c2f');
/** Seed block of the main job's episodes: disjoint from the demos' (block 0) and the README's evaluation blocks. */
const START_SEED_BLOCK = 4242;

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the main job: the shipped agent runs a handful of simulated episodes across tasks')
    .option('--checkpoint <dir>', 'checkpoint or run folder', SHIPPED_MODEL)
    .option('--episodes <n>', 'episodes, one task after another', '5')
    .option('--out <dir>', 'where the pictures go', join('out', 'start'))
    .option(...ON_REFUSAL_FLAG)
    .option('--backend <name>', 'tensorflow | webgpu | wasm | cpu')
    .action(async (o: Record<string, string | undefined>) => {
      const onRefusal = refusalOption(o.onRefusal);
      const episodes = intOption(o.episodes, '--episodes', 1);
      const { name: backend } = await selectBackend(backendOption(o.backend));
      const { policy, config, dir } = await loadPolicy(String(o.checkpoint));
      const out = String(o.out);
      await mkdir(out, { recursive: true });
      console.log(`peract: agent ${dir} (${config.preset} preset, ${config.step} training steps) on ${backend}`);
      const env = new SimEnv();
      let successes = 0;
      const t0 = performance.now();
      for (let k = 0; k < episodes; k++) {
        // Spread the episodes over the tasks, choosing them deterministically.
        const task = TASK_NAMES[(k * 3) % TASK_NAMES.length];
        const seed = episodeSeed(START_SEED_BLOCK, k);
        const result = await rollout(env, policy, { task, seed }, { keepCamera: 'front', onRefusal });
        console.log(`\n[${k + 1}/${episodes}] ${task} (seed ${seed}): "${result.goal}"`);
        for (const s of result.steps) {
          const p = s.action.positionMetres.map((v) => v.toFixed(3)).join(', ');
          console.log(`  ${s.step}. gripper to [${p}] ${s.action.gripperOpen ? 'open' : 'closed'}${s.action.ignoreCollisions ? ' (straight)' : ''}${s.failureReason ? `: ${s.failureReason}` : ''}`);
        }
        if (result.success) successes++;
        const picture = join(out, `${k + 1}-${task}.png`);
        await writeRolloutPng(picture, result);
        console.log(`  -> ${result.success ? 'SUCCESS' : result.outcome === 'failure' ? `FAILED: ${result.failureReason}` : `not done after ${result.steps.length} actions`}; picture ${picture}`);
      }
      await env.close();
      const seconds = (performance.now() - t0) / 1000;
      console.log(`\nsummary: ${successes}/${episodes} episodes succeeded in ${seconds.toFixed(0)} s; pictures in ${out}/`);
    });
}
