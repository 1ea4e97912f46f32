import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Thin edges (ARCHITECTURE.md, "apps/<service>"): routes (`http/`) and event handlers
 * (`consumers/`) hand the request or event to an application function; the queries live in
 * `application/` and `adapters/`. Checked on the source text, naming the file and the line.
 */
const root = join(import.meta.dirname, '../..');
const apps = readdirSync(join(root, 'apps'));

/**
 * Apps whose edges still query, until their refactor lands (issue 7). The last test fails once
 * an exempt app keeps the rule, so the exemption is removed with the last query.
 */
const EXEMPT: string[] = [];

const MODEL_CALLS = [
  'findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany', 'create', 'createMany', 'createManyAndReturn',
  'update', 'updateMany', 'updateManyAndReturn', 'upsert', 'delete', 'deleteMany', 'count', 'aggregate', 'groupBy',
].join('|');

const RULES: { what: string; pattern: RegExp }[] = [
  { what: 'imports the generated Prisma client', pattern: /^\s*(?:import|export)\b[^;]*?from\s+'(?:[^']*\/generated\/[^']*|@prisma\/[^']*)'/m },
  { what: "imports the database adapter's client type", pattern: /^\s*import\b[^;]*\bDatabase\b[^;]*from\s+'[^']*adapters\/database'/m },
  { what: 'opens a transaction or runs raw SQL', pattern: /\$(?:transaction|queryRaw|executeRaw|queryRawUnsafe|executeRawUnsafe)\b/ },
  { what: 'queries through prisma.', pattern: /\bprisma\./ },
  { what: 'runs a Prisma query', pattern: new RegExp(`\\b(?:db|tx)\\.\\w+\\.(?:${MODEL_CALLS})\\(`) },
];

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return entry.endsWith('.ts') && !entry.endsWith('.test.ts') ? [path] : [];
  });
}

/** Each rule a source breaks, with the line it first breaks it on. */
function breaches(source: string): string[] {
  return RULES.flatMap(({ what, pattern }) => {
    const match = pattern.exec(source);
    if (!match) return [];
    const line = source.slice(0, match.index + match[0].search(/\S/)).split('\n').length;
    return [`${what} (line ${line})`];
  });
}

function edgeBreaches(app: string): string[] {
  const files = ['http', 'consumers'].flatMap((edge) => sourceFiles(join(root, 'apps', app, 'src', edge)));
  return files.flatMap((file) => breaches(readFileSync(file, 'utf8')).map((breach) => `${relative(root, file)} ${breach}`));
}

describe('routes and consumers call application functions, never the database', () => {
  it.each(apps.filter((app) => !EXEMPT.includes(app)))('apps/%s/src/{http,consumers} run no query', (app) => {
    expect(edgeBreaches(app)).toEqual([]);
  });

  it('would catch each way an edge reaches the database', () => {
    const source = [
      "import { PrismaClient } from '../generated/prisma/client';",
      "import type { Database, Transaction } from '../adapters/database';",
      'const rows = await deps.db.$transaction([]);',
      'await prisma.order.count();',
      'const shipment = await tx.shipment.findUnique({ where: { id } });',
    ].join('\n');
    expect(breaches(source)).toEqual([
      'imports the generated Prisma client (line 1)',
      "imports the database adapter's client type (line 2)",
      'opens a transaction or runs raw SQL (line 3)',
      'queries through prisma. (line 4)',
      'runs a Prisma query (line 5)',
    ]);
  });

  it('lets an edge pass the transaction it is given to an application function', () => {
    const source = [
      "import type { Transaction } from '../adapters/database';",
      "import { billNewOrder } from '../application/order-billing';",
      'on(orderCreated, (event, tx: Transaction) => billNewOrder(tx, deps, event.data));',
      'async (request) => orderBilling(db, request.params.orderId);',
    ].join('\n');
    expect(breaches(source)).toEqual([]);
  });

  it.each(EXEMPT)('apps/%s is exempt only while its edges still query', (app) => {
    expect(edgeBreaches(app)).not.toEqual([]);
  });
});
