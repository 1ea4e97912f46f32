import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { durableConsumers } from '@platform/contracts/consumers';
import { architecturePath, renderArchitecture, TABLES_COMMAND } from '../../scripts/architecture-tables';

/**
 * ARCHITECTURE.md's consumer, subject and timer tables are rendered from the contracts; the
 * contracts' consumer declarations must name the consumers the apps start.
 */
const root = join(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (entry === 'generated' || entry === 'node_modules') return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return entry.endsWith('.ts') && !entry.endsWith('.test.ts') ? [path] : [];
  });
}

describe('ARCHITECTURE.md', () => {
  it('shows the tables the contracts render', () => {
    const markdown = readFileSync(architecturePath, 'utf8');
    expect(markdown, `ARCHITECTURE.md's generated tables differ from the contracts: run \`${TABLES_COMMAND}\` and commit the result`).toBe(
      renderArchitecture(markdown),
    );
  });

  it('would catch a table edited by hand', () => {
    const markdown = readFileSync(architecturePath, 'utf8');
    const edited = markdown.replace('| `billing--fulfillment` ', '| `billing--settlements` ');
    expect(edited).not.toBe(markdown);
    expect(renderArchitecture(edited)).toBe(markdown);
  });

  it('refuses a page that lost the markers of a generated table', () => {
    const markdown = readFileSync(architecturePath, 'utf8').replace('<!-- /generated:timers -->', '');
    expect(() => renderArchitecture(markdown)).toThrow(/<!-- generated:timers --> … <!-- \/generated:timers -->/);
  });
});

describe('durable consumers are declared in the contracts', () => {
  // Durable names are `<service>--<purpose>` string literals where an app starts its consumers.
  const started = readdirSync(join(root, 'apps')).flatMap((app) =>
    sourceFiles(join(root, 'apps', app, 'src')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/'([a-z]+--[a-z][a-z-]*)'/g)].map((match) => ({ app, name: match[1]!, file: relative(root, file) })),
    ),
  );
  const declared = durableConsumers.map((consumer) => consumer.name);

  it('every consumer an app starts is declared, under its own service', () => {
    expect(started.filter(({ name }) => !declared.includes(name)).map(({ name, file }) => `${file}: ${name}`)).toEqual([]);
    expect(started.filter(({ app, name }) => !name.startsWith(`${app}--`)).map(({ name, file }) => `${file}: ${name}`)).toEqual([]);
  });

  it('every declared consumer is started by its app', () => {
    expect(declared.filter((name) => !started.some((consumer) => consumer.name === name))).toEqual([]);
  });
});
