import { describe, expect, it } from 'vitest';
import { grad, tensor } from '../src/index.js';

describe('smoke', () => {
  it('differentiates x^2', () => {
    expect(grad((x: ReturnType<typeof tensor>) => x.mul(x).sum())(tensor([1, 2])).toArray()).toEqual([2, 4]);
  });
});
