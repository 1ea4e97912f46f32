import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, postgresUrl, startNats, startPostgres } from '@platform/devstack';
import { provisionNats } from '@platform/runtime/nats-provisioning';
// The names provided below and their types (natsUrl, postgresAdminUrl).
import type {} from '@platform/test-support/infrastructure';
import type { TestProject } from 'vitest/node';

/**
 * One NATS JetStream server (the platform's streams provisioned, as a deployment's provisioning
 * step does; no users: the end-to-end stacks test those) and one PostgreSQL for all integration
 * tests, on free ports, in a temp dir.
 */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), 'platform-it-'));
  const [natsPort, natsMonitorPort, postgresPort] = await freePorts(3);
  const nats = await startNats({ port: natsPort, monitorPort: natsMonitorPort, storeDir: join(dir, 'nats') });
  await provisionNats({ NATS_URL: nats.url });
  const postgres = await startPostgres({ dataDir: join(dir, 'postgres'), port: postgresPort!, persistent: false });
  project.provide('natsUrl', nats.url);
  project.provide('postgresAdminUrl', postgresUrl(postgres.port, 'postgres'));
  return async () => {
    await nats.stop();
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
