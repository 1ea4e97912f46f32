import { createPrismaClient } from '@platform/runtime/prisma';
import { Prisma, PrismaClient } from '../generated/prisma/client';

export type Database = PrismaClient;
export type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export function createDatabase(databaseUrl: string, poolSize?: number): Database {
  return createPrismaClient(PrismaClient, databaseUrl, { poolSize });
}

/**
 * `statement` with data-modifying statements (no RETURNING) before it as CTEs, so they cost no
 * round trip of their own. All run on one snapshot: they must not touch the same rows (foreign
 * keys between them are checked at the end of the statement, so they may refer to each other).
 */
export function withWrites(writes: readonly Prisma.Sql[], statement: Prisma.Sql): Prisma.Sql {
  if (writes.length === 0) return statement;
  return Prisma.sql`WITH ${Prisma.join(writes.map((write, index) => Prisma.sql`${Prisma.raw(`w${index}`)} AS (${write})`))} ${statement}`;
}

/** Data-modifying statements sent as one (`withWrites`). */
export async function writeTogether(tx: Transaction, writes: readonly Prisma.Sql[]): Promise<void> {
  const last = writes.at(-1);
  if (last) await tx.$executeRaw(withWrites(writes.slice(0, -1), last));
}
