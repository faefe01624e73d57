export { Tensor, type NestedArray, type TensorLike, type Axis } from './tensor.js';
export { tensor, scalar, asTensor, zeros, ones, full, zerosLike, onesLike, arange, linspace, eye } from './creation.js';
export { MAX_TENSOR_ELEMENTS } from './creation.js';
export * from './ops/index.js';
export { broadcastShapes, shapeSize, type Shape } from './shape.js';
export { getBackend, setBackend, initWasmBackend, jsBackend, wasmBackend, type Backend } from './backend/index.js';
