export { grad, valueAndGrad, vjp, jvp, hvp, jacobian, type GradOptions } from './transforms.js';
export { stopGradient, customVjp } from './custom.js';
export { treeFlatten, treeUnflatten, treeMap, type PyTree, type TreeDef } from './tree.js';
export { definePrimitive, defineNonDifferentiable, bind, type Primitive } from './primitive.js';
export { checkGrads, type CheckGradsOptions, type CheckGradsReport, type CheckMode, type GradCheck } from './check.js';
export { describeLevel, LeakedTracerError } from './levels.js';
export { printGraph, traceGraph, type GraphTrace } from './graph.js';
