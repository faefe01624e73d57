export * from './elementwise.js';
export * from './reduce.js';
export * from './movement.js';
export * from './linalg.js';
export * from './composite.js';
export * from './linalg-extra.js';
export * from './gamma-reparam.js';
export * from './bernoulli-logits.js';
