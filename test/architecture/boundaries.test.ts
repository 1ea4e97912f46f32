import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering rules of ARCHITECTURE.md ("Boundaries"), checked on the source text so a change
 * that breaks one fails here, naming the file and the import.
 */
const root = join(import.meta.dirname, '../..');
const apps = readdirSync(join(root, 'apps'));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'generated' || entry === 'node_modules') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports or re-exports (static and dynamic), with `import type` marked. */
function importsOf(source: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const match of source.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)) {
    found.push({ specifier: match[3]!, typeOnly: Boolean(match[2]) });
  }
  for (const match of source.matchAll(/^\s*import\s+'([^']+)'/gm)) found.push({ specifier: match[1]!, typeOnly: false });
  for (const match of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push({ specifier: match[1]!, typeOnly: false });
  return found;
}

function violations(files: string[], allowed: (specifier: string, typeOnly: boolean) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(readFileSync(file, 'utf8'))
      .filter(({ specifier, typeOnly }) => !allowed(specifier, typeOnly))
      .map(({ specifier }) => `${relative(root, file)} imports ${specifier}`),
  );
}

describe('the domain is pure', () => {
  // Rules and state machines only: no database, messaging, HTTP or runtime. Errors and status
  // tables come from contracts' dependency-free modules; hashing (signatures) from node:crypto.
  const pureContracts = ['errors', 'transitions'];
  const allowed = (specifier: string) =>
    specifier.startsWith('./') ||
    specifier === '@platform/contracts' ||
    specifier.startsWith('@platform/contracts/') ||
    ['node:crypto', 'xstate', 'zod'].includes(specifier);

  it.each(apps)('apps/%s/src/domain imports only other domain modules, contracts, errors, status tables, xstate and zod', (app) => {
    let files: string[] = [];
    try {
      files = sourceFiles(join(root, 'apps', app, 'src', 'domain'));
    } catch {
      return; // an app without rules of its own (none today)
    }
    expect(violations(files, allowed)).toEqual([]);
  });

  it.each(pureContracts)('the contracts module %s the domain throws or builds with depends on nothing at run time', (module) => {
    const file = join(root, `packages/contracts/src/${module}.ts`);
    expect(violations([file], (specifier, typeOnly) => typeOnly || specifier.startsWith('node:'))).toEqual([]);
  });

  it('would catch a domain file that reaches for the database or the runtime', () => {
    const source = "import { PrismaClient } from '../generated/prisma/client';\nimport { ServiceRuntime } from '@platform/runtime/service';\nimport type { Got } from 'got';\n";
    const bad = importsOf(source).filter(({ specifier }) => !allowed(specifier));
    expect(bad.map((b) => b.specifier)).toEqual(['../generated/prisma/client', '@platform/runtime/service', 'got']);
  });
});

describe('services are independent', () => {
  it.each(apps)('apps/%s imports no other app', (app) => {
    const files = sourceFiles(join(root, 'apps', app, 'src'));
    const others = apps.filter((other) => other !== app);
    expect(
      violations(files, (specifier) => !others.some((other) => specifier === `@platform/${other}` || specifier.includes(`apps/${other}`))),
    ).toEqual([]);
  });

  it('the runtime and config packages import no app', () => {
    const files = [...sourceFiles(join(root, 'packages/runtime/src')), ...sourceFiles(join(root, 'packages/config/src'))];
    expect(violations(files, (specifier) => !apps.some((app) => specifier === `@platform/${app}`))).toEqual([]);
  });

  it('config (environment parsing) needs nothing but zod and its own modules', () => {
    const files = sourceFiles(join(root, 'packages/config/src'));
    expect(violations(files, (specifier) => specifier.startsWith('./') || specifier === 'zod' || specifier.startsWith('node:'))).toEqual([]);
  });
});

describe('tests share helpers through @platform/test-support', () => {
  /** Every .ts file of the workspace packages, tests included. */
  function everyFile(dir: string): string[] {
    return readdirSync(dir).flatMap((entry) => {
      if (['generated', 'node_modules', 'dist'].includes(entry)) return [];
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? everyFile(path) : entry.endsWith('.ts') ? [path] : [];
    });
  }
  const rootTests = join(root, 'test');

  it('no app or package reaches into the root test/ folder', () => {
    const files = ['apps', 'packages'].flatMap((group) => readdirSync(join(root, group)).flatMap((name) => everyFile(join(root, group, name))));
    const reaching = files.flatMap((file) =>
      importsOf(readFileSync(file, 'utf8'))
        .filter(({ specifier }) => specifier.startsWith('.') && resolve(dirname(file), specifier).startsWith(`${rootTests}/`))
        .map(({ specifier }) => `${relative(root, file)} imports ${specifier}`),
    );
    expect(reaching).toEqual([]);
  });
});
