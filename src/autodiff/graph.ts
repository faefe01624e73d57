/**
 * The graph printer: run a function and show, line by line, what the autodiff core did. Like JAX's
 * `make_jaxpr`, but for Sieve's eager core: every primitive the call ran, with the shape of its
 * result; which transform levels traced it; each backward pass in the order it visits the nodes, with
 * the shape of the cotangent each node received, and the ops its VJP rules ran. Meant for learning
 * (docs/autodiff.md walks through grad, grad of grad and jvp with it) and for debugging.
 *
 *   printGraph((x: Tensor) => grad((y: Tensor) => y.mul(y).sum())(x))(tensor([1, 2]))
 *
 * One value gets one name (%3) however many levels box it: `bind` makes the kernel's result, then a
 * box per open level around it (observe.ts reports them innermost first), and all of them are the
 * same value seen by different transforms. The line shows the levels that traced it, e.g.
 * `[grad#1]`. Constants made outside the trace (a seed of 1, a captured weight) are printed inline.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as tensorValues from '../tensor/values.js';
import type { Box } from './box.js';
import { transformOf } from './levels.js';
import { setObserver, type CoreEvent } from './observe.js';
import { treeFlatten, type PyTree } from './tree.js';

export interface GraphTrace {
  /** What f returned. */
  output: unknown;
  /** Everything the core reported while f ran, in order (see observe.ts). */
  events: readonly CoreEvent<Tensor>[];
  /** The printout (also `String(trace)`). */
  text: string;
}

/** Run f(...args) with the core observed; returns f's output, the raw events and the printout. */
export function traceGraph<F extends (...args: never[]) => unknown>(f: F): (...args: Parameters<F>) => GraphTrace {
  return (...args) => {
    // printGraph traces tensor programs: every value the core reports here is a Tensor.
    const events: CoreEvent<Tensor>[] = [];
    const previous = setObserver((e) => events.push(e as CoreEvent<Tensor>));
    let output: unknown;
    try {
      output = f(...args);
    } finally {
      setObserver(previous);
    }
    const text = render(args, events, output);
    return { output, events, text, toString: () => text } as GraphTrace;
  };
}

/** traceGraph(f)(...args).text: the printout of what the core did while f ran. */
export function printGraph<F extends (...args: never[]) => unknown>(f: F): (...args: Parameters<F>) => string {
  return (...args) => traceGraph(f)(...args).text;
}

const typeOf = (t: Tensor): string => tensorValues.describe(t);

/** Names for values: %0, %1, ... shared by a value and the boxes around it. */
class Names {
  private readonly ofTensor = new Map<Tensor, number>();
  private readonly ofBox = new Map<Box<Tensor>, number>();
  private next = 0;

  /** Name a new value, or (if `t` boxes a named value) give it that value's name. Returns [id, isNew]. */
  add(t: Tensor): [number, boolean] {
    const inner = t._box?.primal;
    const known = inner === undefined ? undefined : this.ofTensor.get(inner);
    const id = known ?? this.next++;
    this.ofTensor.set(t, id);
    if (t._box !== null) this.ofBox.set(t._box, id);
    return [id, known === undefined];
  }

  /** How an operand reads: its name, or for a value made outside the trace, the value itself. */
  operand(t: Tensor): string {
    const id = this.ofTensor.get(t);
    if (id !== undefined) return `%${id}`;
    if (t.size === 1) return String(t.item());
    return `const:${typeOf(t)}`;
  }

  ofNode(box: Box<Tensor>): string {
    const id = this.ofBox.get(box);
    return id === undefined ? '?' : `%${id}`;
  }
}

function render(args: readonly PyTree[], events: readonly CoreEvent<Tensor>[], output: unknown): string {
  // Levels are numbered within this printout (grad#1, jvp#2, ...) so that it reads the same whatever
  // ran before in the process.
  const localLevel = new Map<number, string>();
  for (const e of events)
    if (e.kind === 'open') localLevel.set(e.level, `${transformOf(e.level)}#${localLevel.size + 1}`);
  const describeLevel = (level: number): string => localLevel.get(level) ?? `${transformOf(level)} (opened outside)`;

  const names = new Names();
  const out: string[] = [];
  for (const t of args.flatMap((a) => treeFlatten(a)[0])) out.push(`in %${names.add(t)[0]} : ${typeOf(t)}`);

  // Pass 1: name every value, and collect for each printed op the levels that traced it, so that its
  // line (printed where the value was first made) can list them all. A box around a value already
  // made by another op (a customVjp node around the ops of its function) gets a line of its own.
  const printed = new Map<CoreEvent<Tensor>, { id: number; name: string; levels: string[] }>();
  const lineOf = new Map<number, { id: number; name: string; levels: string[] }>();
  for (const e of events) {
    if (e.kind !== 'op' && e.kind !== 'input') continue;
    const [id, isNew] = names.add(e.kind === 'op' ? e.output : e.value);
    if (e.kind !== 'op') continue;
    let entry = lineOf.get(id);
    if (isNew || entry === undefined || entry.name !== e.name) {
      entry = { id, name: e.name, levels: [] };
      printed.set(e, entry);
      lineOf.set(id, entry);
    }
    if (e.level >= 0) entry.levels.push(describeLevel(e.level));
  }

  // Pass 2: print, indenting inside transforms and backward passes.
  let depth = 0;
  const line = (s: string): void => {
    out.push(`${'  '.repeat(depth)}${s}`);
  };
  for (const e of events) {
    switch (e.kind) {
      case 'open':
        line(`${describeLevel(e.level)} {`);
        depth++;
        break;
      case 'close':
      case 'backward':
        if (e.kind === 'backward' && e.phase === 'start') {
          line(`backward pass of ${describeLevel(e.level)} {`);
          depth++;
        } else {
          depth--;
          line('}');
        }
        break;
      case 'input':
        line(`input ${names.operand(e.value)} : ${typeOf(e.value)} boxed by ${describeLevel(e.level)}`);
        break;
      case 'visit': {
        const what = e.node.prim === null ? 'an input: its gradient' : `made by ${e.node.prim.name}`;
        line(
          `visit ${names.ofNode(e.node)} (${what}) with cotangent ${names.operand(e.cotangent)} : ` +
            `${typeOf(e.cotangent)}`,
        );
        break;
      }
      case 'op': {
        const entry = printed.get(e);
        if (entry === undefined) break; // a box around a value already printed
        const traced = entry.levels.length === 0 ? '' : `   [${entry.levels.join(', ')}]`;
        line(
          `%${entry.id} = ${e.name} ${e.inputs.map((x) => names.operand(x)).join(' ')} : ${typeOf(e.output)}${traced}`,
        );
        break;
      }
    }
  }
  const results = treeFlatten(output as PyTree)[0];
  out.push(`return ${results.map((t) => names.operand(t)).join(', ')}`);
  return out.join('\n');
}
