import { describeLevel, grad, scalar, type Tensor } from '../src/index.js';

const show = (name: string, t: Tensor): void => {
  const boxes: string[] = [];
  for (let b = t._box; b !== null; b = b.primal._box) {
    const op = b.kind === 'reverse' && b.prim !== null ? `:${b.prim.name}` : '';
    boxes.push(`${b.kind}@${describeLevel(b.level)}${op}`);
  }
  console.log(name.padEnd(9), (boxes.join(' > ') || 'concrete').padEnd(28), t.item());
};

const result = grad((a: Tensor) => {
  show('a', a);
  const dy = grad((b: Tensor) => {
    show('b', b);
    const s = a.add(b);
    show('a + b', s);
    return s;
  })(scalar(5));
  show('d/dy', dy);
  const p = a.mul(dy);
  show('a * d/dy', p);
  return p;
})(scalar(3));
show('result', result);
