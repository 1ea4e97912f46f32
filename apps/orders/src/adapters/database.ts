import { createPrismaClient } from '@platform/runtime/prisma';
import { PrismaClient } from '../generated/prisma/client';

export type Database = PrismaClient;
export type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export function createDatabase(databaseUrl: string, poolSize?: number): Database {
  return createPrismaClient(PrismaClient, databaseUrl, { poolSize });
}
