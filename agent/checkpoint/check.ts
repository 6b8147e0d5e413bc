import { formatShape, sameShape, type TensorMap } from './tensors.js';

/** At most this many problems are spelled out in one error; the rest are counted. */
const LISTED = 4;

export function summarise(problems: readonly string[]): string {
  const listed = problems.slice(0, LISTED).join('; ');
  return problems.length > LISTED ? `${listed} (and ${problems.length - LISTED} more)` : listed;
}

/** Names and shapes of model weights against what the network config implies. */
export function modelProblems(tensors: TensorMap, expected: ReadonlyMap<string, readonly number[]>, source: string): string[] {
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) problems.push(`missing tensor '${name}'`);
    else if (!sameShape(t.shape, shape)) problems.push(`tensor '${name}' has shape ${formatShape(t.shape)} != ${formatShape(shape)} implied by ${source}`);
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name)) problems.push(`unexpected tensor '${name}' (not a parameter of ${source})`);
  }
  return problems;
}

/**
 * Optimizer moments are `<parameter>.m` / `<parameter>.v` with the parameter's shape. A
 * parameter that never had a gradient has none, so missing moments are fine.
 */
export function optimizerProblems(tensors: TensorMap, expected: ReadonlyMap<string, readonly number[]>, source: string): string[] {
  const problems: string[] = [];
  for (const [name, t] of tensors) {
    const match = /^(.+)\.(m|v)$/.exec(name);
    const shape = match ? expected.get(match[1]) : undefined;
    if (!match || !shape) problems.push(`tensor '${name}' is not '<parameter>.m' or '<parameter>.v' of a parameter of ${source}`);
    else if (!sameShape(t.shape, shape)) problems.push(`tensor '${name}' has shape ${formatShape(t.shape)} != ${formatShape(shape)} of parameter '${match[1]}'`);
  }
  return problems;
}
