import { invalidArgument } from '../../core/index.js';

/**
 * Tensors as plain data, so checkpoints can be written, read and checked without a tensor
 * backend. `data` is row-major float32 with `data.length === product(shape)`.
 */
export interface PlainTensor {
  shape: number[];
  data: Float32Array;
}

/** Tensors by stable name (`layers.0.attn.wq`, optimizer moments `layers.0.attn.wq.m`). */
export type TensorMap = Map<string, PlainTensor>;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks a caller's tensor map before anything is written; errors name `field` and the tensor. */
export function checkTensorMap(tensors: unknown, field: string): TensorMap {
  if (!(tensors instanceof Map)) throw invalidArgument(field, 'must be a Map of name -> { shape, data }');
  for (const [name, tensor] of tensors as Map<unknown, unknown>) {
    if (typeof name !== 'string' || name.length === 0) throw invalidArgument(field, `has a tensor name that is not a non-empty string`);
    if (name === '__metadata__') throw invalidArgument(field, `cannot hold a tensor named '__metadata__' (reserved by safetensors)`);
    const t = tensor as Partial<PlainTensor> | null;
    if (!t || typeof t !== 'object') throw invalidArgument(`${field}['${name}']`, 'must be { shape, data }');
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw invalidArgument(`${field}['${name}'].shape`, 'must be an array of non-negative integers');
    }
    if (!(t.data instanceof Float32Array)) throw invalidArgument(`${field}['${name}'].data`, 'must be a Float32Array');
    if (t.data.length !== elementCount(t.shape)) {
      throw invalidArgument(`${field}['${name}'].data`, `has ${t.data.length} elements, shape ${formatShape(t.shape)} needs ${elementCount(t.shape)}`);
    }
  }
  return tensors as TensorMap;
}
