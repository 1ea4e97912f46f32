/**
 * What the integration tests' global setup (`test/setup/infrastructure.ts`) provides: one
 * NATS JetStream and one PostgreSQL for every test file, read with vitest's `inject`.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    natsUrl: string;
    postgresAdminUrl: string;
  }
}

export {};
