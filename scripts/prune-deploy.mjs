#!/usr/bin/env node
// Prunes a `pnpm deploy --config.node-linker=hoisted` output in place (Dockerfile, build stage).
//
//   node scripts/prune-deploy.mjs <dir> [excluded...] [--roots name,name]
//
// Keeps the packages reachable from <dir>/package.json's dependencies and optionalDependencies
// (or from --roots), following each kept package's dependencies, optionalDependencies and the
// peerDependencies that are installed, resolved the way Node does (nearest node_modules upwards,
// never above <dir>). Edges to an excluded name are cut only where it is an optional or peer
// dependency: a regular dependency on it is an error, as the runtime would then need it.
// Deletes every other package folder and dangling node_modules/.bin links, and the tests of
// workspace packages (private packages: test/ folders and *.test.* files). Plain Node, no
// dependencies: it runs in the image's build stage before anything else is installed.
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export function prune(root, { excluded = [], roots } = {}) {
  root = resolve(root);
  const skip = new Set(excluded);
  const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

  /** The folder `name` resolves to from `from` (a package folder), or undefined. */
  const locate = (name, from) => {
    for (let dir = from; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      if (dir === root || !dir.startsWith(root)) return undefined;
    }
  };

  const kept = new Set();
  const problems = [];
  const visit = (dir, names) => {
    for (const [name, kind] of names) {
      if (skip.has(name)) {
        if (kind === 'dependencies') problems.push(`${relative(root, dir) || '.'} depends on ${name}`);
        continue;
      }
      const found = locate(name, dir);
      if (!found) {
        if (kind === 'dependencies') problems.push(`${relative(root, dir) || '.'}: ${name} is not installed`);
        continue;
      }
      if (kept.has(found)) continue;
      kept.add(found);
      visit(found, edges(manifest(found), false));
    }
  };
  const edges = (pkg, top) => [
    ...Object.keys(pkg.dependencies ?? {}).map((n) => [n, 'dependencies']),
    ...Object.keys(pkg.optionalDependencies ?? {}).map((n) => [n, 'optional']),
    ...(top ? [] : Object.keys(pkg.peerDependencies ?? {}).map((n) => [n, 'peer'])),
  ];
  visit(root, roots ? roots.map((n) => [n, 'dependencies']) : edges(manifest(root), true));
  if (problems.length) throw new Error(`prune-deploy: cannot drop ${excluded.join(', ')}:\n  ${problems.join('\n  ')}`);

  // Every installed package folder (scoped and nested node_modules included).
  const installed = [];
  const walk = (modules) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const path = join(modules, entry);
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(path)) collect(join(path, scoped));
      } else collect(path);
    }
  };
  const collect = (path) => {
    if (!existsSync(join(path, 'package.json'))) return;
    installed.push(path);
    walk(join(path, 'node_modules'));
  };
  walk(join(root, 'node_modules'));

  const removed = [];
  for (const path of installed) {
    if (kept.has(path) || !existsSync(path)) continue;
    const pkg = manifest(path);
    removed.push(`${pkg.name}@${pkg.version}`);
    rmSync(path, { recursive: true, force: true });
  }
  // Empty scope folders and .bin links whose package went.
  for (const modules of [join(root, 'node_modules'), ...[...kept].map((p) => join(p, 'node_modules'))]) {
    if (!existsSync(modules)) continue;
    for (const entry of readdirSync(modules)) {
      const path = join(modules, entry);
      if (entry.startsWith('@') && readdirSync(path).length === 0) rmSync(path, { recursive: true });
    }
    const bin = join(modules, '.bin');
    if (!existsSync(bin)) continue;
    for (const link of readdirSync(bin)) {
      const path = join(bin, link);
      if (lstatSync(path).isSymbolicLink() && !existsSync(path)) rmSync(path);
    }
  }
  // Workspace packages (private) carry their tests: not in an image.
  const tests = [];
  for (const path of kept) {
    if (!manifest(path).private) continue;
    const drop = (dir) => {
      for (const entry of readdirSync(dir)) {
        const full = join(dir, entry);
        if (entry === 'node_modules') continue;
        if (statSync(full).isDirectory()) {
          if (entry === 'test' || entry === '__tests__') {
            tests.push(full);
            rmSync(full, { recursive: true });
          } else drop(full);
        } else if (/\.test\.[cm]?[jt]sx?$/.test(entry)) {
          tests.push(full);
          rmSync(full);
        }
      }
    };
    drop(path);
  }
  return {
    kept: [...kept].map((p) => relative(root, p).split(sep).join('/')).sort(),
    removed: removed.sort(),
    tests: tests.length,
  };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('prune-deploy.mjs')) {
  const args = process.argv.slice(2);
  const rootsAt = args.indexOf('--roots');
  const roots = rootsAt >= 0 ? args.splice(rootsAt, 2)[1].split(',') : undefined;
  const [dir, ...excluded] = args;
  if (!dir) {
    console.error('usage: node scripts/prune-deploy.mjs <dir> [excluded...] [--roots name,name]');
    process.exit(2);
  }
  const result = prune(dir, { excluded, roots });
  console.log(
    `prune-deploy: kept ${result.kept.length} packages, removed ${result.removed.length}` +
      (result.removed.length ? ` (${result.removed.join(' ')})` : '') +
      `, ${result.tests} test files/folders of workspace packages`,
  );
}
