/**
 * One error class for the whole runtime. `code` is stable (scripts and tests match on it);
 * `field` names the offending input where there is one.
 */
export type PeractErrorCode =
  | 'INVALID_ARGUMENT'
  | 'OUT_OF_BOUNDS'
  | 'AUGMENTATION_FAILED'
  | 'CORRUPT_FILE'
  | 'VERSION_MISMATCH'
  | 'NOT_FOUND'
  | 'BACKEND_UNAVAILABLE'
  | 'PLANNING_FAILED'
  | 'TIMEOUT'
  | 'CONNECTION'
  | 'INTERNAL';

export class PeractError extends Error {
  readonly code: PeractErrorCode;
  readonly field: string | undefined;

  constructor(code: PeractErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(options.field ? `${options.field}: ${message}` : message, { cause: options.cause });
    this.name = 'PeractError';
    this.code = code;
    this.field = options.field;
  }
}

/** Shorthand for the most common case: a named input field with a bad value. */
export function invalidArgument(field: string, problem: string): PeractError {
  return new PeractError('INVALID_ARGUMENT', problem, { field });
}
