import { invalidArgument } from './errors.js';

// Small assertion helpers shared by every public entry point, so each error names its field
// the same way.

export function assertFiniteNumber(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidArgument(field, `must be a finite number, got ${summariseValue(value)}`);
  }
}

export function assertPositiveInteger(value: unknown, field: string, min = 1): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidArgument(field, `must be an integer >= ${min}, got ${summariseValue(value)}`);
  }
}

export function assertFiniteArray(value: ArrayLike<number> | undefined, length: number, field: string): void {
  if (!value || typeof value !== 'object' || typeof value.length !== 'number') {
    throw invalidArgument(field, `must be an array of ${length} numbers, got ${summariseValue(value)}`);
  }
  if (value.length !== length) {
    throw invalidArgument(field, `must have ${length} elements, got ${value.length}`);
  }
  for (let i = 0; i < length; i++) {
    if (!Number.isFinite(value[i])) {
      throw invalidArgument(`${field}[${i}]`, `must be finite, got ${String(value[i])}`);
    }
  }
}

/** A short account of a value for an error message: `null`, `42`, `"text"`, `an array of length 3`. */
export function summariseValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  return typeof value;
}
