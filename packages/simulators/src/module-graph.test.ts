import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The simulators' modules form a tree: the server registers the providers, the providers use
 * the shared modules (context, control, state, supplier-orders, tracking-scans, ...), and
 * nothing imports back up. A provider that needs something from another moves it to a shared
 * module instead.
 */

const SRC = dirname(fileURLToPath(import.meta.url));

/** Relative import specifiers of a module: static imports and re-exports (types too), side-effect and dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/g, /(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found.filter((specifier) => specifier.startsWith('.'));
}

/** Module (path under src/) → the modules under src/ it imports. */
function moduleGraph(): Map<string, string[]> {
  const modules = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
  const known = new Set(modules);
  const graph = new Map<string, string[]>();
  for (const module of modules) {
    const imports = specifiers(readFileSync(join(SRC, module), 'utf8')).map((specifier) => {
      const base = normalize(join(dirname(module), specifier));
      const resolved = [base, `${base}.ts`, join(base, 'index.ts')].find((candidate) => known.has(candidate));
      if (!resolved) throw new Error(`${module}: cannot resolve ${specifier}`);
      return resolved;
    });
    graph.set(module, [...new Set(imports)]);
  }
  return graph;
}

/** The first import cycle found, as the modules along it (first = last), or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (module: string): string[] | null => {
    const onPath = path.indexOf(module);
    if (onPath !== -1) return [...path.slice(onPath), module];
    if (done.has(module)) return null;
    path.push(module);
    for (const imported of graph.get(module) ?? []) {
      const cycle = visit(imported);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(module);
    return null;
  };
  for (const module of graph.keys()) {
    const cycle = visit(module);
    if (cycle) return cycle;
  }
  return null;
}

describe('the simulators module graph', () => {
  const graph = moduleGraph();

  it('sees every kind of import the modules use', () => {
    expect(graph.get('server.ts')).toEqual(expect.arrayContaining(['providers/stripe.ts', 'providers/aftership.ts', 'state.ts']));
    // A type-only import and a named-import list.
    expect(graph.get('providers/aftership.ts')).toEqual(expect.arrayContaining(['context.ts', 'tracking-scans.ts']));
    expect(graph.get('index.ts')).toEqual(expect.arrayContaining(['server.ts', 'control.ts']));
    expect(specifiers("import './a';\nconst b = await import('../b');\nexport * from './c';\nimport type {\n  D,\n} from './d';")).toEqual(['./c', './d', './a', '../b']);
  });

  it('finds a cycle when there is one', () => {
    expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]]))).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(findCycle(new Map([['a.ts', ['b.ts', 'c.ts']], ['b.ts', ['c.ts']], ['c.ts', []]]))).toBeNull();
  });

  it('has no import cycle', () => {
    expect(findCycle(graph)).toBeNull();
  });

  it('has no provider importing another provider, the server or the package index', () => {
    const upward = [...graph]
      .filter(([module]) => module.startsWith('providers/'))
      .flatMap(([module, imports]) => imports.filter((imported) => imported.startsWith('providers/') || imported === 'server.ts' || imported === 'index.ts').map((imported) => `${module} → ${imported}`));
    expect(upward).toEqual([]);
  });
});
