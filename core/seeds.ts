import { invalidArgument } from './errors.js';

/**
 * Episode seeds come in blocks: episode k of block b has seed `b * EPISODE_SEED_BLOCK + k`.
 * `peract demos --seed b` and `peract eval --seeds b1,b2` both use this rule, so two blocks never
 * share an episode and an evaluation can prove it does not replay a demonstration's layout.
 */
export const EPISODE_SEED_BLOCK = 100_000;

export function episodeSeed(block: number, index: number): number {
  if (!Number.isInteger(block) || block < 0) throw invalidArgument('seed', `must be an integer >= 0, got ${block}`);
  if (!Number.isInteger(index) || index < 0 || index >= EPISODE_SEED_BLOCK) {
    throw invalidArgument('episode', `must be an integer in [0, ${EPISODE_SEED_BLOCK}), got ${index}`);
  }
  const seed = block * EPISODE_SEED_BLOCK + index;
  if (seed > 0xffffffff) throw invalidArgument('seed', `block ${block} is too large (seeds must fit 32 bits)`);
  return seed;
}

/** `[0, 1, 2, 5, 7, 8]` -> `"0-2,5,7-8"`: compact seed lists for checkpoints and reports. */
export function formatSeedRanges(seeds: Iterable<number>): string {
  const sorted = [...new Set(seeds)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function parseSeedRanges(text: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw invalidArgument('seeds', `not a seed or range: ${JSON.stringify(part)}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let s = a; s <= b; s++) out.add(s);
  }
  return out;
}
