import { assertPositiveInteger, invalidArgument } from '../../core/index.js';

export type ScheduleKind = 'constant' | 'cosine';

export interface LearningRateSchedule {
  kind: ScheduleKind;
  /** Peak rate. */
  base: number;
  /** Linear ramp from base/warmup to base over the first steps (0: none). */
  warmupSteps: number;
  /** Step at which cosine decay reaches `finalFraction * base`. */
  totalSteps: number;
  /** Where cosine decay ends, as a fraction of base. */
  finalFraction: number;
}

/**
 * The learning rate of 1-based training step `step`. A pure function of the step, so a resumed
 * run continues on the same curve. Cosine decay: with a constant rate and small batches the
 * translation precision wanders from checkpoint to checkpoint (README, Results); decaying to a
 * small rate settles the final weights.
 */
export function learningRateAt(schedule: LearningRateSchedule, step: number): number {
  assertPositiveInteger(step, 'step');
  const { kind, base, warmupSteps, totalSteps, finalFraction } = schedule;
  if (kind !== 'constant' && kind !== 'cosine') throw invalidArgument('schedule.kind', `must be constant or cosine, got ${String(kind)}`);
  if (!(base > 0)) throw invalidArgument('schedule.base', `must be > 0, got ${base}`);
  assertPositiveInteger(warmupSteps, 'schedule.warmupSteps', 0);
  assertPositiveInteger(totalSteps, 'schedule.totalSteps');
  if (!(finalFraction >= 0 && finalFraction <= 1)) throw invalidArgument('schedule.finalFraction', `must be in [0, 1], got ${finalFraction}`);
  if (step <= warmupSteps) return (base * step) / warmupSteps;
  if (kind === 'constant') return base;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return base * (finalFraction + (1 - finalFraction) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
