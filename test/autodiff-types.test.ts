/**
 * The transforms are typed from the function they wrap: `valueAndGrad(f)` takes f's parameters and
 * returns [f's result, the gradient], and the gradient of a pytree argument has the argument's type.
 *
 * These are checks of types, made by the type checker (`tsc -p tsconfig.test.json`, part of `npm test`):
 * `expectTypeOf` fails to compile on a wrong type, and each `@ts-expect-error` line fails to compile
 * when the error it expects is gone, i.e. when a signature has lost its types (to `any`, say). At run
 * time the calls below only need to run.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { grad, jvp, scalar, tensor, valueAndGrad, vjp, type Tensor } from '../src/index.js';

interface Params {
  w: Tensor;
  b: Tensor;
  name: string;
}
const params: Params = { w: tensor([1, 2]), b: scalar(0.5), name: 'linear' };
const x = tensor([3, 4]);
const loss = (p: Params, data: Tensor): Tensor => p.w.mul(data).sum().add(p.b);

describe('grad and valueAndGrad are typed from f', () => {
  it('the gradient of a pytree argument has its type; the value has f’s result type', () => {
    const g = grad(loss)(params, x);
    expectTypeOf(g).toEqualTypeOf<Params>();
    expectTypeOf(g).not.toBeAny();
    const [value, gp] = valueAndGrad(loss)(params, x);
    expectTypeOf(value).toEqualTypeOf<Tensor>();
    expectTypeOf(gp).toEqualTypeOf<Params>();
    expectTypeOf(valueAndGrad(loss)).parameters.toEqualTypeOf<[Params, Tensor]>();
  });

  it('argnums picks the argument(s): one index, or a list giving a list', () => {
    expectTypeOf(grad(loss, 1)(params, x)).toEqualTypeOf<Tensor>();
    expectTypeOf(grad(loss, [0, 1])(params, x)).toEqualTypeOf<[Params, Tensor]>();
    expectTypeOf(valueAndGrad(loss, [1])(params, x)).toEqualTypeOf<[Tensor, [Tensor]]>();
  });

  it('hasAux: f returns [value, aux], and aux keeps its type', () => {
    const withAux = (p: Params, data: Tensor): [Tensor, { prediction: Tensor; step: number }] => {
      const prediction = p.w.mul(data);
      return [prediction.sum(), { prediction, step: 3 }];
    };
    const [g, aux] = grad(withAux, 0, { hasAux: true })(params, x);
    expectTypeOf(g).toEqualTypeOf<Params>();
    expectTypeOf(aux).toEqualTypeOf<{ prediction: Tensor; step: number }>();
    const [[value, aux2], g2] = valueAndGrad(withAux, 0, { hasAux: true })(params, x);
    expectTypeOf(value).toEqualTypeOf<Tensor>();
    expectTypeOf(aux2.step).toEqualTypeOf<number>();
    expectTypeOf(g2).toEqualTypeOf<Params>();
    // An inline f whose result is an array literal is read as a pair.
    const [, inlineAux] = grad((t: Tensor) => [t.sum(), t.mean()], 0, { hasAux: true })(x);
    expectTypeOf(inlineAux).toEqualTypeOf<Tensor>();
  });

  it('nesting keeps the types: grad of grad is a function from Tensor to Tensor', () => {
    const second = grad(grad((t: Tensor) => t.sin()));
    expectTypeOf(second).toEqualTypeOf<(t: Tensor) => Tensor>();
  });

  it('mistakes are type errors', () => {
    // Only compiled, never run: the type checker must refuse each line.
    const mistakes = (): void => {
      // @ts-expect-error: the arguments must have f's parameter types
      grad(loss)(x, x);
      // @ts-expect-error: f must return a Tensor
      grad((t: Tensor) => t.toArray());
      // @ts-expect-error: with hasAux, f must return [value, aux]
      grad((t: Tensor) => t.sum(), 0, { hasAux: true });
      // @ts-expect-error: the gradient is Params, not a Tensor
      grad(loss)(params, x).add(1);
      // @ts-expect-error: the tangent must have the primal's type
      jvp((t: Tensor) => t.exp(), [x], [params]);
    };
    expectTypeOf(mistakes).returns.toBeVoid();
  });
});

describe('vjp and jvp are typed from f', () => {
  it('vjp: [f’s result, a pullback from a cotangent of that type to one cotangent per argument]', () => {
    const [out, pullback] = vjp(loss, params, x);
    expectTypeOf(out).toEqualTypeOf<Tensor>();
    expectTypeOf(pullback).toEqualTypeOf<(cotangent: Tensor) => [Params, Tensor]>();
    const [, pullPair] = vjp((t: Tensor) => ({ a: t, b: [t.sum()] }), x);
    expectTypeOf(pullPair).parameter(0).toEqualTypeOf<{ a: Tensor; b: Tensor[] }>();
  });

  it('jvp: primals and tangents have f’s parameter types; both outputs have its result type', () => {
    const [value, tangent] = jvp((p: Params) => ({ y: p.w.mul(2) }), [params], [params]);
    expectTypeOf(value).toEqualTypeOf<{ y: Tensor }>();
    expectTypeOf(tangent).toEqualTypeOf<{ y: Tensor }>();
  });
});
