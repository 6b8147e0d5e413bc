import { expect } from 'vitest';
import { PeractError } from '../core/index.js';

/** The PeractError `promise` rejects with; fails the test when it resolves or rejects with something else. */
export async function peractRejection(promise: Promise<unknown>): Promise<PeractError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PeractError);
    return error as PeractError;
  }
  throw new Error('expected a rejection');
}
