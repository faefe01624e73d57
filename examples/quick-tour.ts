// A quick tour of Sieve's core: tensors, gradients of any order, forward mode, random keys.
import { checkGrads, grad, hvp, jvp, key, random, tensor, valueAndGrad, type Tensor } from '../src/index.js';

// Immutable float32 tensors with NumPy broadcasting.
const x = tensor([[1, 2, 3], [4, 5, 6]]);
const y = x.mul(tensor([1, 0, -1])).sum(-1); // shape [2]
console.log(y.toString()); // Tensor([-2., -2.], shape=[2])

// grad transforms a scalar function into its gradient function (like jax.grad).
const f = (w: Tensor) => w.tanh().square().sum();
console.log(grad(f)(tensor([0.5, -1])).toArray());

// Higher order by nesting, Hessian-vector products, forward mode.
const d2 = grad(grad((t: Tensor) => t.sin()))(tensor(1)); // -sin(1)
const hv = hvp(f, tensor([0.5, -1]), tensor([1, 0]));
const [, tangent] = jvp((t: Tensor) => t.exp(), [tensor(0)], [tensor(1)]); // e^0 · 1
console.log(d2.item(), hv.toArray(), tangent.item());

// Pytrees of parameters: gradients come back with the same structure.
const params = { w: tensor([[0.1, -0.2], [0.3, 0.4]]), b: tensor([0, 0]) };
const loss = (p: typeof params, inputs: Tensor) => inputs.matmul(p.w).add(p.b).logsumexp(-1).mean();
const [value, grads] = valueAndGrad(loss)(params, tensor([[1, 2], [3, 4]]));
console.log(value.item(), grads.w.shape, grads.b.shape);

// Explicit, splittable random keys: same key, same numbers.
const [k1, k2] = random.split(key(0));
const noise = random.normal(k1, [3]);
const coin = random.bernoulli(k2, 0.3, [5]);
console.log(noise.toArray(), coin.toArray());

// Verify a function's derivatives against float64 central finite differences.
checkGrads((t: Tensor) => t.mul(t).logsumexp(), [tensor([0.3, -0.7, 1.1])], { order: 2 });
