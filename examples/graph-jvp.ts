import { jvp, printGraph, scalar, type Tensor } from '../src/index.js';

const f = (y: Tensor): Tensor => y.exp().mul(y);
console.log(printGraph((x: Tensor) => jvp(f, [x], [scalar(1)]))(scalar(0.5)));
