import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Only `prisma migrate deploy` (container start, k8s Job) connects; generate needs no database.
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
