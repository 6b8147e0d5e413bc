import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../../agent/backend/backend.js';
import { PeractError } from '../../core/index.js';

describe('selectBackend', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.PERACT_BACKEND;
    delete process.env.PERACT_BACKEND;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.PERACT_BACKEND;
    else process.env.PERACT_BACKEND = saved;
  });

  it('picks wasm when neither tfjs-node nor webgpu is installed', async () => {
    const { name, tf } = await selectBackend();
    expect(name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(Array.from(tf.tidy(() => tf.matMul(tf.eye(2), tf.tensor2d([[1, 2], [3, 4]]))).dataSync())).toEqual([1, 2, 3, 4]);
  });

  it('runs the cpu backend when forced by argument or by PERACT_BACKEND', async () => {
    const forced = await selectBackend('cpu');
    expect(forced.name).toBe('cpu');
    expect(forced.tf.getBackend()).toBe('cpu');
    await selectBackend('wasm');
    process.env.PERACT_BACKEND = 'cpu';
    const fromEnv = await selectBackend();
    expect(fromEnv.name).toBe('cpu');
    expect(fromEnv.tf.getBackend()).toBe('cpu');
  });

  it('throws BACKEND_UNAVAILABLE with the reason when a forced backend cannot start', async () => {
    const err = await selectBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeractError);
    expect((err as PeractError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as PeractError).message).toMatch(/tfjs-node.*not installed/);
    const gpu = await selectBackend('webgpu').catch((e: unknown) => e);
    expect((gpu as PeractError).code).toBe('BACKEND_UNAVAILABLE');
    expect((gpu as PeractError).message).toMatch(/webgpu/);
  });

  it('rejects an unknown backend name from PERACT_BACKEND, naming the variable', async () => {
    process.env.PERACT_BACKEND = 'tpu';
    const err = await selectBackend().catch((e: unknown) => e);
    expect((err as PeractError).code).toBe('INVALID_ARGUMENT');
    expect((err as PeractError).field).toBe('PERACT_BACKEND');
  });
});
