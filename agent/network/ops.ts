import '../backend/tf-setup.js'; // the cpu backend and the gradients training needs: every network op runs after it
/**
 * Layer primitives written for the wasm backend (docs/design.md, Tensor backends). Every matMul of
 * the network goes through `matMul2d`: its gradient transposes explicitly and multiplies
 * untransposed 2-D matrices, because wasm's XNNPACK kernel only serves that case.
 * Measured here (wasm, one core): [4096x128]x[128x384] 16 ms plain, 162 ms with
 * transposeB=true, 18 ms with an explicit tf.transpose; transposeA: 64 ms vs 6.5 ms explicit.
 * tf.matMul's own gradient uses the transposed forms, so it would be ~10x slower.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradients of y = a b with untransposed 2-D matMuls only, transposing whichever operands are
 * smaller: dA = dy b^T or (b dy^T)^T, dB = a^T dy or (dy^T a)^T. With a the [4096 x 3456]
 * patch matrix and dy [4096 x 96], transposing dy and the [96 x 3456] product instead of a
 * saved most of a 14M-element transpose (~150 ms of a 3.7 s training step, measured).
 */
const matMulWithExplicitTransposes = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const a = args[0] as tf.Tensor2D;
  const b = args[1] as tf.Tensor2D;
  const save = args[2] as tf.GradSaveFunc;
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      const da = sb.size <= g.size + sa.size ? tf.matMul(g, tf.transpose(sb)) : tf.transpose(tf.matMul(sb, tf.transpose(g)));
      const db = sa.size <= g.size + sb.size ? tf.matMul(tf.transpose(sa), g) : tf.transpose(tf.matMul(tf.transpose(g), sa));
      return [da, db];
    },
  };
});

/** a [n, k] x b [k, m] -> [n, m], with a wasm-fast gradient. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMulWithExplicitTransposes(a, b) as tf.Tensor2D;
}

/** x [n, in] W [in, out] (+ b [out]). */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b?: tf.Tensor): tf.Tensor2D {
  const y = matMul2d(x, w as tf.Tensor2D);
  return b ? tf.add(y, b) : y;
}

/**
 * Linear layer on an input that needs no gradient (the voxel patches): only dW and db are
 * formed. The generic matMul2d would also build d(input), a [4096 x 2160] matMul (~50 ms of
 * a batch-8 step).
 */
export function linearConstantInput(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const product = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const weight = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    save([x]); // keeps x alive past the forward pass's tidy
    return {
      value: tf.matMul(x, weight),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.transpose(tf.matMul(tf.transpose(dy as tf.Tensor2D), saved[0] as tf.Tensor2D)),
    };
  });
  return tf.add(product(w as tf.Tensor2D), b) as tf.Tensor2D;
}

export function leakyRelu<T extends tf.Tensor>(x: T, slope: number): T {
  return tf.leakyRelu(x, slope);
}

/** Layer normalisation over the last axis of a 2-D tensor. */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, epsilon = 1e-5): tf.Tensor2D {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon))), gain), bias);
}

/** Exact GELU through erf (wasm has an Erf kernel and erf has a registered gradient). */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/**
 * GEGLU feed-forward input layer: x W + b split in halves, value * gelu(gate). W [in, 2h] is
 * one parameter as in PerAct, but the weight is split rather than the activation: slicing a
 * column block of a [1024 x 512] activation cost ~2.7 ms per slice on wasm (measured).
 */
export function geglu(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const half = (w.shape[1] ?? 0) / 2;
  const value = linear(x, tf.slice(w, [0, 0], [-1, half]), tf.slice(b, [0], [half]));
  const gate = linear(x, tf.slice(w, [0, half], [-1, half]), tf.slice(b, [half], [half]));
  return tf.mul(value, gelu(gate));
}

/** Inverted dropout; identity when rate is 0. `seed` makes the mask reproducible. */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (rate <= 0) return x;
  return tf.dropout(x, rate, undefined, seed) as T;
}
