/**
 * How a broadcast or a reduction maps onto the kernels' two- and three-axis views. Each function
 * returns null when the shapes do not fit the view; the caller then uses the JS backend.
 */
import { broadcastStrides, shapeSize, type Shape } from '../../shape.js';

/** An operand of a rows × cols elementwise op: element (i, j) is at i·rowStride + j·colStride. */
export interface Operand2d {
  rowStride: number;
  colStride: number;
}

export interface BinaryPlan {
  rows: number;
  cols: number;
  a: Operand2d;
  b: Operand2d;
}

/** The rows × cols view of an elementwise op with any number of operands (`where` has three). */
export interface ElementwisePlan {
  rows: number;
  cols: number;
  operands: Operand2d[];
}

/**
 * View `outShape` as rows × cols, splitting its axes at one point, such that each operand is, on
 * each side of the split, either complete or broadcast (size 1) on every axis. That covers
 * same-shape, scalar, row-vector ([m,n] with [n]) and column-vector ([m,n] with [m,1]) operands,
 * in any number of dimensions. Axes of size 1 in the output are ignored.
 */
export function planElementwise(shapes: readonly Shape[], outShape: Shape): ElementwisePlan | null {
  // For each output axis longer than 1: its length and whether each operand is complete along it.
  const sizes: number[] = [];
  const full: boolean[][] = shapes.map(() => []);
  const nd = outShape.length;
  for (let d = 0; d < nd; d++) {
    if (outShape[d] === 1) continue;
    sizes.push(outShape[d]);
    shapes.forEach((shape, i) => full[i].push((shape[d - (nd - shape.length)] ?? 1) !== 1));
  }
  const uniform = (flags: boolean[], from: number, to: number): boolean =>
    flags.slice(from, to).every((f) => f === flags[from]);
  // The first split that works leaves the most axes in `cols`, the direction the kernels vectorize.
  for (let split = 0; split <= sizes.length; split++) {
    if (!full.every((flags) => uniform(flags, 0, split) && uniform(flags, split, sizes.length))) continue;
    const rows = sizes.slice(0, split).reduce((p, s) => p * s, 1);
    const cols = sizes.slice(split).reduce((p, s) => p * s, 1);
    const operand = (flags: boolean[]): Operand2d => {
      const colStride = split < sizes.length && flags[split] ? 1 : 0;
      const rowStride = split > 0 && flags[0] ? (colStride === 1 ? cols : 1) : 0;
      return { rowStride, colStride };
    };
    return { rows, cols, operands: full.map(operand) };
  }
  return null;
}

/** planElementwise for the two operands of a binary op. */
export function planBinary(aShape: Shape, bShape: Shape, outShape: Shape): BinaryPlan | null {
  const plan = planElementwise([aShape, bShape], outShape);
  if (plan === null) return null;
  const [a, b] = plan.operands;
  return { rows: plan.rows, cols: plan.cols, a, b };
}

/** A reduction over the middle axis of x viewed as [outer, len, inner]. */
export interface ReducePlan {
  outer: number;
  len: number;
  inner: number;
}

/**
 * View a reduction over sorted `axes` as one over the middle of [outer, len, inner]: possible when
 * the reduced axes are adjacent once axes of size 1 are left out.
 */
export function planReduce(shape: Shape, axes: readonly number[]): ReducePlan | null {
  let outer = 1,
    len = 1,
    inner = 1;
  let phase: 'before' | 'reducing' | 'after' = 'before';
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const reduced = axes.includes(d);
    if (phase === 'before' && reduced) phase = 'reducing';
    else if (phase === 'reducing' && !reduced) phase = 'after';
    else if (phase === 'after' && reduced) return null;
    if (phase === 'before') outer *= shape[d];
    else if (phase === 'reducing') len *= shape[d];
    else inner *= shape[d];
  }
  return { outer, len, inner };
}

/** A transpose viewed as out[b][c][r] = x[b][r][c] for x of shape [batch, rows, cols]. */
export interface TransposePlan {
  batch: number;
  rows: number;
  cols: number;
}

/**
 * View a transpose as a batched matrix transpose: possible when, after dropping axes of size 1 and
 * merging runs of input axes that stay next to each other in the output, the permutation is [1, 0]
 * (or [0, 2, 1], or the identity). `matrixTranspose` ([..., m, n] → [..., n, m]) is always one.
 */
export function planTranspose(shape: Shape, perm: readonly number[]): TransposePlan | null {
  const kept = perm.filter((p) => shape[p] !== 1);
  // Position of each kept axis among the kept input axes (dropped size-1 axes leave no gap).
  const position = new Map([...kept].sort((p, q) => p - q).map((p, i) => [p, i]));
  // Groups of output axes whose input axes are consecutive: each becomes one merged axis.
  const groups: number[][] = [];
  for (const p of kept) {
    const last = groups[groups.length - 1];
    if (last !== undefined && position.get(last[last.length - 1])! + 1 === position.get(p)) last.push(p);
    else groups.push([p]);
  }
  const size = (g: number[]): number => g.reduce((s, p) => s * shape[p], 1);
  // The merged permutation: for each output group, its rank in input order.
  const inputOrder = [...groups].sort((g, h) => g[0] - h[0]);
  const merged = groups.map((g) => inputOrder.indexOf(g));
  const key = merged.join(',');
  if (key === '' || key === '0') return { batch: 1, rows: 1, cols: size(groups[0] ?? []) };
  if (key === '1,0') return { batch: 1, rows: size(inputOrder[0]), cols: size(inputOrder[1]) };
  if (key === '0,2,1') return { batch: size(inputOrder[0]), rows: size(inputOrder[1]), cols: size(inputOrder[2]) };
  return null;
}

/**
 * The matrices of a batched product C = A·B, batch axes broadcast: calls visit(t, aMatrix, bMatrix)
 * for each output matrix t (last batch axis fastest) with the indices of the matrices of A and B it
 * multiplies (multiply by a matrix's size for its offset).
 */
export function forEachBatchProduct(
  aShape: Shape,
  bShape: Shape,
  batchShape: Shape,
  visit: (t: number, aMatrix: number, bMatrix: number) => void,
): void {
  const aStrides = broadcastStrides(aShape.slice(0, -2), batchShape);
  const bStrides = broadcastStrides(bShape.slice(0, -2), batchShape);
  const index = new Array<number>(batchShape.length).fill(0);
  const batch = shapeSize(batchShape);
  for (let t = 0; t < batch; t++) {
    let ao = 0,
      bo = 0;
    for (let d = 0; d < index.length; d++) {
      ao += index[d] * aStrides[d];
      bo += index[d] * bStrides[d];
    }
    visit(t, ao, bo);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < batchShape[d]) break;
      index[d] = 0;
    }
  }
}
