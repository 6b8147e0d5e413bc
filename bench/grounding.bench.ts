/**
 * Does the policy act on the sphere the goal names? reach_target has three spheres of distinct
 * colours and only the goal's colour word says which is the target. For 30 episodes (seeds
 * 5000-5029, outside every demo and eval block) the first action's position is matched to the
 * nearest sphere: `near-any` says whether positions are learned, `on-named` whether colour
 * words are (chance: 1/3). PERACT_CHECKPOINT picks the model (default: the shipped one).
 * The same first action is also asked for with each reach_target paraphrase of
 * eval/paraphrases.json (filled with the scene's colour): `on-named (paraphrase k)`.
 */
import { fillParaphrase, loadParaphrases, loadPolicy, selectBackend } from '../agent/index.js';
import { SimEnv, TASKS } from '../sim/index.js';
import type { Benchmark, Figure } from './harness.js';

const EPISODES = 30;
const NEAR_METRES = 0.03;

async function namedSphere(): Promise<Figure[]> {
  const checkpoint = process.env.PERACT_CHECKPOINT ?? 'models/peract-c2f';
  const backend = (await selectBackend('wasm')).name;
  const { policy } = await loadPolicy(checkpoint);
  const slotNames = Object.fromEntries(TASKS.map((t) => [t.name, t.slotNames]));
  const paraphrases = (await loadParaphrases('eval/paraphrases.json', { tasks: ['reach_target'], slotNames })).tasks.reach_target;
  const env = new SimEnv();
  let onNamed = 0;
  let nearAny = 0;
  const onNamedParaphrase = paraphrases.map(() => 0);
  try {
    for (let k = 0; k < EPISODES; k++) {
      const start = await env.reset({ task: 'reach_target', seed: 5000 + k });
      const nearest = async (goal: string): Promise<{ index: number; metres: number }> => {
        const p = (await policy.act(start.observation, goal)).action.positionMetres;
        const distances = ['target', 'distractor1', 'distractor2'].map((name) => {
          const c = env.physics.bodyPose(name).positionMetres;
          return Math.hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]);
        });
        const index = distances.indexOf(Math.min(...distances));
        return { index, metres: distances[index] };
      };
      const template = await nearest(start.goal);
      if (template.index === 0) onNamed++;
      if (template.metres < NEAR_METRES) nearAny++;
      for (const [i, paraphrase] of paraphrases.entries()) {
        if ((await nearest(fillParaphrase(paraphrase, start.slots))).index === 0) onNamedParaphrase[i]++;
      }
    }
  } finally {
    await env.close();
  }
  const extra = { backend, checkpoint, episodes: EPISODES };
  return [
    { name: 'grounding/reach-target/on-named-sphere', median: (100 * onNamed) / EPISODES, unit: 'percent', ...extra },
    { name: 'grounding/reach-target/within-3cm-of-a-sphere', median: (100 * nearAny) / EPISODES, unit: 'percent', ...extra },
    ...paraphrases.map((paraphrase, i): Figure => ({
      name: `grounding/reach-target/on-named-sphere (paraphrase ${i + 1})`,
      median: (100 * onNamedParaphrase[i]) / EPISODES,
      unit: 'percent',
      paraphrase,
      ...extra,
    })),
  ];
}

export const benchmarks: Benchmark[] = [{ name: 'grounding/reach-target', run: namedSphere }];
