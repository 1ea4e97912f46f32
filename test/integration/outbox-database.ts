import { createPrismaClient } from '@platform/runtime/prisma';
import { migratedDatabase } from '@platform/test-support/databases';
import { PrismaClient } from '../../apps/billing/src/generated/prisma/client';

/** A database holding the tables the runtime shares across services (outbox, processed events, timers): billing's schema. */
export type Db = PrismaClient;
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export async function outboxDatabase(): Promise<Db> {
  return createPrismaClient(PrismaClient, await migratedDatabase('billing'));
}
