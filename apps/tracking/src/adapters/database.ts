import { createPrismaClient } from '@platform/config';
import { PrismaClient } from '../generated/prisma/client';

export type Database = PrismaClient;
export type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export function createDatabase(databaseUrl: string): Database {
  return createPrismaClient(PrismaClient, databaseUrl);
}
