import { randomUUID } from 'node:crypto';
import { createPrismaClient } from '@platform/runtime/prisma';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { APPS_WITH_DATABASE, migratedDatabase } from '@platform/test-support/databases';

/**
 * Each service's Prisma schema and its hand-written migrations must agree: on a freshly
 * migrated database every model maps to a table whose columns are exactly the model's
 * fields, and the generated client can write and read back every field of every model.
 */

interface Column {
  table: string;
  column: string;
  udt: string;
  maxLength: number | null;
}
interface ForeignKey {
  table: string;
  column: string;
  refTable: string;
  refColumn: string;
}
interface RuntimeModel {
  dbName: string | null;
  fields: { name: string; kind: string; dbName?: string | null }[];
}
type Client = {
  _runtimeDataModel: { models: Record<string, RuntimeModel> };
  $disconnect(): Promise<void>;
} & Record<string, { create(args: unknown): Promise<Record<string, unknown>>; findFirstOrThrow(args: unknown): Promise<Record<string, unknown>> }>;

async function describeDatabase(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<Column>(`
      SELECT table_name AS table, column_name AS column, udt_name AS udt, character_maximum_length AS "maxLength"
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
    const foreignKeys = await client.query<ForeignKey>(`
      SELECT kcu.table_name AS table, kcu.column_name AS column, ccu.table_name AS "refTable", ccu.column_name AS "refColumn"
      FROM information_schema.table_constraints tc
      JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name
      JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name
      WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'`);
    return { columns: columns.rows, foreignKeys: foreignKeys.rows };
  } finally {
    await client.end();
  }
}

function sampleValue(column: Column): unknown {
  switch (column.udt) {
    case 'uuid':
      return randomUUID();
    case '_uuid':
      return [randomUUID(), randomUUID()];
    case 'text':
    case 'varchar':
      return `v-${column.column}`;
    case '_text':
      return [`v-${column.column}`, 'w'];
    case 'bpchar':
      return 'X'.repeat(column.maxLength ?? 1);
    case 'int4':
      return 7;
    case 'int8':
      return 7n;
    case 'bool':
      return true;
    case 'timestamptz':
    case 'timestamp':
      return new Date('2026-01-02T03:04:05.678Z');
    case 'jsonb':
    case 'json':
      return { sample: [1, 'two'] };
    default:
      throw new Error(`no sample value for ${column.table}.${column.column} (${column.udt})`);
  }
}

const clients: Client[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.$disconnect()));
});

describe.each(APPS_WITH_DATABASE)('%s database', (app) => {
  it('matches its Prisma schema and round-trips every model and field', async () => {
    const url = await migratedDatabase(app);
    const { PrismaClient } = await import(`../../apps/${app}/src/generated/prisma/client.ts`);
    const client = createPrismaClient(PrismaClient, url) as unknown as Client;
    clients.push(client);
    const { columns, foreignKeys } = await describeDatabase(url);
    const models = Object.entries(client._runtimeDataModel.models);

    // Every table is a model, and every column a field (no drift either way).
    const tables = [...new Set(columns.map((c) => c.table))].sort();
    expect(tables).toEqual(models.map(([name, m]) => m.dbName ?? name).sort());

    const created = new Map<string, Record<string, unknown>>();
    const pending = [...models];
    while (pending.length > 0) {
      const index = pending.findIndex(([name, model]) =>
        foreignKeys.filter((fk) => fk.table === (model.dbName ?? name)).every((fk) => fk.refTable === (model.dbName ?? name) || created.has(fk.refTable)),
      );
      expect(index, 'foreign keys form no cycle').toBeGreaterThanOrEqual(0);
      const [name, model] = pending.splice(index, 1)[0]!;
      const table = model.dbName ?? name;
      const scalars = model.fields.filter((f) => f.kind === 'scalar');
      const tableColumns = columns.filter((c) => c.table === table);
      expect(tableColumns.map((c) => c.column).sort(), `columns of ${table}`).toEqual(scalars.map((f) => f.dbName ?? f.name).sort());

      const row: Record<string, unknown> = {};
      const data: Record<string, unknown> = {};
      for (const field of scalars) {
        const column = tableColumns.find((c) => c.column === (field.dbName ?? field.name))!;
        const fk = foreignKeys.find((k) => k.table === table && k.column === column.column);
        const value = fk ? created.get(fk.refTable)![fk.refColumn] : sampleValue(column);
        row[column.column] = value;
        data[field.name] = value;
      }
      const delegate = client[name.charAt(0).toLowerCase() + name.slice(1)]!;
      await delegate.create({ data });
      const read = await delegate.findFirstOrThrow({ where: {} });
      expect(read, `${name} reads back what was written`).toEqual(data);
      created.set(table, row);
    }
  });
});
