/**
 * The library's modules form no import cycle, so each can be read (and loaded) after the ones it
 * needs, and the autodiff core can be read without the tensor library. Every import counts: type-only
 * imports, re-exports, `import('...')` types and dynamic imports, because a reader follows them too.
 *
 * One edge is kept on purpose (KEPT_EDGES below, which says why): the Tensor method aliases.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');

/**
 * One edge closes a cycle on purpose; the test removes exactly it and requires the rest to be acyclic.
 *
 * tensor.ts → ops/index.ts. `x.add(y)` on every tensor needs the class to reach the ops, and the ops
 * need the class to make their results: a real mutual dependency. Without this edge the methods would
 * have to be installed on the prototype by a module imported only for that side effect, which
 * `"sideEffects": false` lets bundlers drop (then `x.add` is undefined at run time), or every op would
 * have to live in the class's file.
 *
 * (The adjoint pair broadcastTo/sum, whose VJPs name each other, shares one file, ops/broadcast-sum.ts,
 * so the movement ops and the reductions need not import each other.)
 *
 * The cycle is harmless at load time: the modules on it read each other only when an op or a method
 * is called, and what the ops need while they load (`definePrimitive` and the tensor value space,
 * src/tensor/values.ts) exists before any module runs. The last test below loads each module of this
 * cycle first, in plain Node.
 */
const KEPT_EDGES: readonly (readonly [string, string])[] = [['src/tensor/tensor.ts', 'src/tensor/ops/index.ts']];

/** Every .ts file under `dir` (AssemblyScript sources excluded: they are a separate program). */
function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return rel === 'src/tensor/backend/wasm/assembly' ? [] : sourceFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The relative modules a file imports, by any kind of import, as repository paths. */
function importsOf(file: string, text: string): string[] {
  // Comments hold usage examples (`import … from 'sieve-vi'`): scan the code only.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [
    /(?:^|[;\s])(?:import|export)\s[^'";]*?\sfrom\s+['"]([^'"]+)['"]/g, // import x from, import type, export * from
    /(?:^|[;\s])import\s+['"]([^'"]+)['"]/g, // import './side-effect.js'
    /import\(\s*(?:\/\*[^*]*\*\/\s*)?['"]([^'"]+)['"]\s*\)/g, // import('./x.js'), also in types
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) {
      if (!m[1].startsWith('.')) continue;
      found.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1].replace(/\.js$/, '.ts'))));
    }
  }
  return [...new Set(found)];
}

/** One cycle of `graph`, as a list of files ending where it starts, or null if there is none. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle !== null) return cycle;
      }
    }
    stack.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of [...graph.keys()].sort()) {
    if (state.get(file) !== undefined) continue;
    const cycle = visit(file);
    if (cycle !== null) return cycle;
  }
  return null;
}

/** Every cycle, one per round: report one, cut its last edge, look again (so all tangles are listed). */
function allCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  for (let cycle = findCycle(graph); cycle !== null && cycles.length < 50; cycle = findCycle(graph)) {
    cycles.push(cycle);
    const [from, to] = cycle.slice(-2);
    graph.set(
      from,
      graph.get(from)!.filter((f) => f !== to),
    );
  }
  return cycles;
}

function libraryGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles('src')) graph.set(file, importsOf(file, readFileSync(path.join(REPO, file), 'utf8')));
  return graph;
}

describe('the import graph of src/', () => {
  it('has no cycle, apart from the kept edges', () => {
    const graph = libraryGraph();
    expect(graph.size).toBeGreaterThan(50);
    for (const [from, to] of KEPT_EDGES) {
      expect(graph.get(from), `${from} no longer imports ${to}: remove it from KEPT_EDGES`).toContain(to);
      graph.set(
        from,
        graph.get(from)!.filter((f) => f !== to),
      );
    }
    const cycles = allCycles(graph).map((c) => c.join('\n  -> '));
    expect(cycles, `import cycles:\n${cycles.join('\n\n')}`).toEqual([]);
  });

  it('the autodiff core imports nothing from the tensor library', () => {
    const graph = libraryGraph();
    const core = ['levels', 'observe', 'box', 'bind', 'backward'].map((f) => `src/autodiff/${f}.ts`);
    const reached = new Set<string>();
    const visit = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const next of graph.get(file) ?? []) visit(next);
    };
    for (const file of core) {
      expect(graph.has(file), file).toBe(true);
      visit(file);
    }
    expect([...reached].filter((f) => !f.startsWith('src/autodiff/') && f !== 'src/errors.ts')).toEqual([]);
  });

  it('finds a cycle, through type-only imports and re-exports too', () => {
    const a = importsOf('src/a.ts', "import type { B } from './b.js';\nexport const a = 1;");
    const b = importsOf('src/b.ts', "export * from './c/index.js';");
    const c = importsOf('src/c/index.ts', "type A = import('../a.js').A;");
    const graph = new Map([
      ['src/a.ts', a],
      ['src/b.ts', b],
      ['src/c/index.ts', c],
    ]);
    expect(findCycle(graph)).toEqual(['src/a.ts', 'src/b.ts', 'src/c/index.ts', 'src/a.ts']);
    expect(
      findCycle(
        new Map([
          ['src/a.ts', a],
          ['src/b.ts', []],
        ]),
      ),
    ).toBeNull();
  });
});

/** The files on a cycle through the kept edges: those reachable from an edge's end that reach its start. */
function keptCycleFiles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const reach = (from: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [from];
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...(graph.get(f) ?? []));
    }
    return seen;
  };
  const files = new Set<string>();
  for (const [from, to] of KEPT_EDGES) {
    for (const f of reach(to)) if (reach(f).has(from)) files.add(f);
  }
  return [...files].sort();
}

describe('the kept cycle does not depend on load order', () => {
  it('whichever of its modules Node loads first, the library works', async () => {
    const files = keptCycleFiles(libraryGraph());
    expect(files).toContain('src/tensor/ops/elementwise.ts');
    // Plain Node ESM, not vitest's module loader: esbuild only strips the types, file by file.
    const out = mkdtempSync(path.join(tmpdir(), 'sieve-load-order-'));
    try {
      await build({
        entryPoints: sourceFiles('src').map((f) => path.join(REPO, f)),
        outdir: path.join(out, 'src'),
        outbase: path.join(REPO, 'src'),
        format: 'esm',
        platform: 'node',
        logLevel: 'silent',
      });
      const failures: string[] = [];
      for (const file of files) {
        const first = path.join(out, file.replace(/\.ts$/, '.js'));
        const index = path.join(out, 'src/index.js');
        // d/dx sin(x²) = 2x cos(x²): ops, methods, primitives and the backward pass all have to be there.
        const script = `await import(${JSON.stringify(first)});
          const { grad, scalar } = await import(${JSON.stringify(index)});
          console.log(grad((x) => x.mul(x).sin())(scalar(0.5)).item());`;
        try {
          const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
          const expected = 2 * 0.5 * Math.cos(0.25);
          // float32 result of a few ops: well within 1e-6 relative of the float64 value.
          if (Math.abs(Number(printed) - expected) > 1e-6) failures.push(`${file}: printed ${printed.trim()}`);
        } catch (e) {
          const stderr = String((e as { stderr?: string }).stderr ?? e);
          failures.push(`${file} first: ${stderr.split('\n').slice(0, 6).join('\n')}`);
        }
      }
      expect(failures, failures.join('\n\n')).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
