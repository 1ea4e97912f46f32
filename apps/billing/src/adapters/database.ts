import { createPrismaClient } from '@platform/runtime/prisma';
import { Prisma, PrismaClient } from '../generated/prisma/client';

export type Database = PrismaClient;
export type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export function createDatabase(databaseUrl: string, poolSize?: number): Database {
  return createPrismaClient(PrismaClient, databaseUrl, { poolSize });
}

/**
 * Data-modifying statements (no RETURNING) sent as one: all but the last become CTEs of the
 * last, so rows written together cost one round trip. They run on one snapshot: they must not
 * touch the same rows (foreign keys between them are checked at the end, so they may refer to each other).
 */
export async function writeTogether(tx: Transaction, writes: readonly Prisma.Sql[]): Promise<void> {
  const last = writes.at(-1);
  if (!last) return;
  const before = writes.slice(0, -1).map((write, index) => Prisma.sql`${Prisma.raw(`w${index}`)} AS (${write})`);
  await tx.$executeRaw(before.length === 0 ? last : Prisma.sql`WITH ${Prisma.join(before)} ${last}`);
}
