/**
 * Tensors as the autodiff core sees them (`ValueSpace` in src/autodiff/box.ts): a traced tensor carries
 * its box in `_box`, and cotangents are summed with the differentiable `add`, so that the sum is traced
 * too when the cotangents are (grad of grad).
 *
 * The core takes this module itself as the value space: `import * as tensorValues from './values.js'`.
 * A module's functions exist before any module runs, so every op can be defined with this space at
 * load time whatever order the modules load in (tensor.ts and the ops import each other).
 */
import type { Box } from '../autodiff/box.js';
import { shapeToString } from './shape.js';
import { Tensor } from './tensor.js';

/** The box of a traced tensor; null for a concrete one. */
export function boxOf(x: Tensor): Box<Tensor> | null {
  return x._box;
}

/** The traced tensor around `box`, with its primal's shape. */
export function traced(box: Box<Tensor>): Tensor {
  return Tensor._traced(box);
}

export function add(a: Tensor, b: Tensor): Tensor {
  return a.add(b);
}

export function zerosLike(x: Tensor): Tensor {
  return Tensor.fromData(new Float32Array(x.size), x.shape);
}

/** `f32[2,3]`: the element type and the shape. */
export function describe(x: Tensor): string {
  return `f32${shapeToString(x.shape)}`;
}
