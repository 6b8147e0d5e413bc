/**
 * Gradients of the kernels the network trains through, for @tensorflow/tfjs-core without the
 * @tensorflow/tfjs umbrella package. In Node, tfjs-core's bundle has no gradients: the umbrella
 * registered all of them when imported (its bundle carries tfjs-core's register_all_gradients),
 * and tfjs-core's own ES module files cannot be imported by Node (their imports have no
 * extensions). These are tfjs-core 4.22.0's gradient configs (src/gradients/*_grad.ts, Apache
 * License 2.0, Copyright 2020 Google LLC), written against its public API, op for op, so the
 * gradients are the same numbers as with the umbrella. tf-setup.ts registers them.
 *
 * The list is exactly the registered gradients that computeGradients calls, over every preset and
 * option of the network (custom gradients carry their own; kernels off the path from the weights
 * to the loss need none): test/agent/tf-gradients.test.ts checks that, and each gradient against
 * finite differences. With them, every gradient of every preset is bit for bit the umbrella's.
 * A kernel added to the training path without a gradient here fails training with tfjs's
 * "Cannot compute gradient: gradient function not found for <kernel>"; add its config here.
 */
import * as tf from '@tensorflow/tfjs-core';

type Grads = Record<string, () => tf.Tensor>;

const { assertAndGetBroadcastShape, getReductionAxes } = tf.broadcast_util;
const { getUndoAxesPermutation, expandShapeToKeepDim, computeOutAndReduceShapes } = tf.backend_util;
const { parseAxisParam, sizeFromShape } = tf.util;

/**
 * The gradient of a broadcasting binary op's input: summed over the broadcast axes, in its shape
 * (always a new tensor, as tfjs-core's Add and Sub gradients give: never `dy` itself).
 */
function unbroadcast(res: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const reduceAxes = getReductionAxes(shape, outShape);
  return tf.reshape(reduceAxes.length > 0 ? tf.sum(res, reduceAxes) : res, shape);
}

/** Max's gradient: dy where x equals the reduced value (min_max_grad_util.ts). */
function gradForMinAndMax(dy: tf.Tensor, y: tf.Tensor, xOrig: tf.Tensor, origAxes: number[]): Grads {
  if (y.rank < xOrig.rank) y = tf.reshape(y, expandShapeToKeepDim(y.shape, origAxes));
  if (dy.rank < xOrig.rank) dy = tf.reshape(dy, expandShapeToKeepDim(dy.shape, origAxes));
  return { x: () => tf.mul(dy, tf.cast(tf.equal(xOrig, y), dy.dtype)) };
}

export const GRADIENTS: readonly tf.GradConfig[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const g = dy as tf.Tensor;
      const outShape = assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => unbroadcast(g, a.shape, outShape), b: () => unbroadcast(g, b.shape, outShape) };
    },
  },
  {
    kernelName: tf.AddN,
    saveAllInputs: true,
    gradFunc: (dy, saved) => {
      const ders: Grads = {};
      saved.forEach((_, i) => {
        ders[i] = () => (dy as tf.Tensor).clone();
      });
      return ders;
    },
  },
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const g = dy as tf.Tensor;
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      if (!transposeA && !transposeB) return { a: () => tf.matMul(g, b, false, true), b: () => tf.matMul(a, g, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(g, b, false, false), b: () => tf.matMul(g, a, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, g, false, true), b: () => tf.matMul(a, g, false, false) };
      return { a: () => tf.matMul(b, g, true, true), b: () => tf.matMul(g, a, true, true) };
    },
  },
  {
    kernelName: tf.Cast,
    gradFunc: (dy) => ({ x: () => (dy as tf.Tensor).clone() }),
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const { axis } = attrs as unknown as tf.ConcatAttrs;
      const $axis = parseAxisParam(axis, saved[0].shape)[0];
      const derTensors = tf.split(dy as tf.Tensor, saved.map((t) => t.shape[$axis]), $axis);
      return Object.fromEntries(derTensors.map((t, i) => [i, () => t]));
    },
  },
  {
    kernelName: tf.Erf,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const a = tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI));
      return { x: () => tf.mul(dy as tf.Tensor, a) };
    },
  },
  {
    kernelName: tf.LeakyRelu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      const { alpha } = attrs as unknown as tf.LeakyReluAttrs;
      const mask = tf.greater(x, 0);
      return { x: () => tf.where(mask, g, tf.mul(g, alpha)) };
    },
  },
  {
    kernelName: tf.Max,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const { reductionIndices } = attrs as unknown as tf.MaxAttrs;
      const [x, y] = saved;
      const maxGrad = gradForMinAndMax(dy as tf.Tensor, y, x, parseAxisParam(reductionIndices, x.shape));
      return { x: () => maxGrad.x() };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { axis } = attrs as unknown as tf.MeanAttrs;
      const axes = parseAxisParam(axis, x.shape);
      const reduceSize = sizeFromShape(computeOutAndReduceShapes(x.shape, axes)[1]);
      const derX = () => {
        const expandedDyShape = x.shape.slice();
        axes.forEach((a) => {
          expandedDyShape[a] = 1;
        });
        const expandedDy = tf.reshape(dy as tf.Tensor, expandedDyShape);
        return tf.div(tf.mul(expandedDy, tf.ones(x.shape, 'float32')), reduceSize);
      };
      return { x: derX };
    },
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const g = dy as tf.Tensor;
      const outShape = assertAndGetBroadcastShape(a.shape, b.shape);
      return {
        a: () => unbroadcast(tf.mul(g, tf.cast(b, 'float32')), a.shape, outShape),
        b: () => unbroadcast(tf.mul(g, tf.cast(a, 'float32')), b.shape, outShape),
      };
    },
  },
  {
    kernelName: tf.Neg,
    gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }),
  },
  {
    kernelName: tf.Pack,
    saveAllInputs: true,
    gradFunc: (dy, _saved, attrs) => {
      const { axis } = attrs as unknown as tf.PackAttrs;
      return Object.fromEntries(tf.unstack(dy as tf.Tensor, axis).map((t, i) => [i, () => t]));
    },
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const g = dy as tf.Tensor;
      const outShape = assertAndGetBroadcastShape(a.shape, b.shape);
      const derB = () => tf.neg(tf.div(unbroadcast(tf.mul(g, tf.cast(a, 'float32')), b.shape, outShape), tf.cast(tf.square(b), 'float32')));
      return { a: () => unbroadcast(tf.div(g, tf.cast(b, 'float32')), a.shape, outShape), b: derB };
    },
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => tf.reshape(dy as tf.Tensor, x.shape) };
    },
  },
  {
    kernelName: tf.Rsqrt,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => tf.neg(tf.div(dy as tf.Tensor, tf.mul(tf.pow(x, 1.5), 2))) };
    },
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      const { begin, size } = attrs as unknown as tf.SliceAttrs;
      const [begin_, size_] = tf.slice_util.parseSliceParams(x, begin, size);
      const paddings: Array<[number, number]> = [];
      for (let i = 0; i < g.rank; i++) paddings.push([begin_[i], x.shape[i] - begin_[i] - size_[i]]);
      return { x: () => tf.pad(g, paddings) };
    },
  },
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved;
      const { dim } = attrs as unknown as tf.SoftmaxAttrs;
      const dyTimesY = tf.mul(dy as tf.Tensor, y);
      return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
    },
  },
  {
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.cast(x, 'float32'), 2)) };
    },
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const g = dy as tf.Tensor;
      const outShape = assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => unbroadcast(g, a.shape, outShape), b: () => tf.neg(unbroadcast(g, b.shape, outShape)) };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const expandedDyShape = x.shape.slice();
      const { axis } = attrs as unknown as tf.SumAttrs;
      parseAxisParam(axis, x.shape).forEach((a) => {
        expandedDyShape[a] = 1;
      });
      const derX = tf.mul(tf.reshape(dy as tf.Tensor, expandedDyShape), tf.ones(x.shape, 'float32'));
      return { x: () => derX };
    },
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs) => {
      const { perm } = attrs as unknown as tf.TransposeAttrs;
      return { x: () => tf.transpose(dy as tf.Tensor, getUndoAxesPermutation(perm)) };
    },
  },
  {
    kernelName: tf.Unpack,
    gradFunc: (dy, _saved, attrs) => {
      const { axis } = attrs as unknown as tf.UnpackAttrs;
      return { value: () => tf.stack(dy as tf.Tensor[], axis) };
    },
  },
];

/** Registers each gradient that is not registered yet (the umbrella, when also loaded, registers the same). */
export function registerGradients(): void {
  for (const config of GRADIENTS) if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}
