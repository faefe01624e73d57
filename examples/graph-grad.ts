import { grad, printGraph, tensor, type Tensor } from '../src/index.js';

const f = (x: Tensor): Tensor => x.mul(x).sum();
console.log(printGraph(f)(tensor([1, 2])));
console.log(printGraph(grad(f))(tensor([1, 2])));
