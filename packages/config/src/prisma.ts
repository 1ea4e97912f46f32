import { PrismaPg } from '@prisma/adapter-pg';

/**
 * Builds a service's generated Prisma client on the `pg` driver adapter (no query-engine
 * binary). Each service passes its own generated class, so no service can see another's models.
 */
export function createPrismaClient<C>(
  PrismaClient: new (options: { adapter: PrismaPg }) => C,
  databaseUrl: string,
  options: { poolSize?: number } = {},
): C {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.poolSize ?? 10 });
  return new PrismaClient({ adapter });
}
