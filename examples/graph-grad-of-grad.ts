import { grad, printGraph, scalar, type Tensor } from '../src/index.js';

const secondDerivative = grad(grad((x: Tensor) => x.sin()));
console.log(printGraph(secondDerivative)(scalar(1)));
