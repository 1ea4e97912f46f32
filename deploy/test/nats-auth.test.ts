/**
 * The NATS users in the deployment files: the generated authorization is current, nats-server
 * accepts the k8s and compose configurations with the passwords their manifests hand it, and
 * every client (services, the provisioning Job / container) signs in as its own user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { NATS_SERVICE_USERS, NATS_USERS, passwordVariable } from '@platform/contracts/nats-users';
import { findNatsServer } from '@platform/devstack/nats';
import { AUTHORIZATION_COMMAND, authorizationConfig, localNatsPassword } from '@platform/devstack/nats-auth';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import { authorizationFiles, k8sNatsDir } from '../../scripts/nats-authorization';
import { readRepoFile, repoRoot } from './platform';

/** `nats-server -t`: parses the configuration (includes, `$VARIABLE`s from `env`) and exits; its verdict. */
function checkConfig(file: string, env: Record<string, string>): string {
  const run = spawnSync(findNatsServer(), ['-c', file, '-t'], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`;
}

const natsDir = relative(repoRoot, k8sNatsDir());
const documents = <T>(file: string): T[] => parseAllDocuments(readRepoFile(join(natsDir, file))).map((doc) => doc.toJS() as T);

describe('the generated authorization', () => {
  it.each(authorizationFiles())('%s is current', (path) => {
    expect(readRepoFile(path), `${path} differs from the contracts' permissions: run \`${AUTHORIZATION_COMMAND}\` and commit the result`).toBe(
      authorizationConfig(),
    );
  });

  it('names every user, with its password from the environment only', () => {
    const config = authorizationConfig();
    for (const user of NATS_USERS) expect(config).toContain(`user: ${user}\n      password: $${passwordVariable(user)}\n`);
    expect(config).not.toMatch(/local-|password: "/);
  });
});

describe('Kubernetes: NATS with users', () => {
  const [sts] = documents<IStatefulSet>('statefulset.yaml');
  const env = sts!.spec!.template.spec!.containers.find((c) => c.name === 'nats')!.env ?? [];
  const fromSecret = (variable: string) => env.find((e) => e.name === variable)?.valueFrom?.secretKeyRef;

  it("gives the server every user's password from Secret nats-users, under the key of its variable", () => {
    for (const user of NATS_USERS) expect(fromSecret(passwordVariable(user)), user).toEqual({ name: 'nats-users', key: passwordVariable(user) });
  });

  it('nats.conf with its included authorization.conf is valid for nats-server, and only with the passwords set', () => {
    const conf = join(repoRoot, natsDir, 'nats.conf');
    expect(readFileSync(conf, 'utf8')).toMatch(/^include \.\/authorization\.conf$/m);
    const passwords = Object.fromEntries(NATS_USERS.map((user) => [passwordVariable(user), `k8s-${user}-secret`]));
    expect(checkConfig(conf, { POD_NAME: 'nats-0', ...passwords })).toMatch(/is valid/);
    const { ORDERS_NATS_PASSWORD: _, ...withoutOrders } = passwords;
    expect(checkConfig(conf, { POD_NAME: 'nats-0', ...withoutOrders })).toMatch(/ORDERS_NATS_PASSWORD.*can not be found/);
  });

  it('provisions the streams with a Job of the tools image, signed in as the provisioner', () => {
    const [job] = documents<IJob>('provision-job.yaml');
    const container = job!.spec!.template.spec!.containers[0]!;
    expect(container.image).toBe('fulfilment-platform/tools');
    expect(container.command).toEqual(['provision-nats']);
    const variables = Object.fromEntries((container.env ?? []).map((e: IEnvVar) => [e.name, e.value ?? e.valueFrom?.secretKeyRef]));
    expect(variables).toMatchObject({ NATS_USER: 'provisioner', NATS_PASSWORD: { name: 'nats-users', key: passwordVariable('provisioner') }, NATS_STREAM_REPLICAS: '3' });
    expect(readRepoFile(join(natsDir, 'kustomization.yaml'))).toMatch(/- provision-job\.yaml/);
  });
});

describe('docker compose: NATS with users', () => {
  type Service = { command?: string[]; environment?: Record<string, string>; volumes?: string[]; depends_on?: Record<string, { condition?: string }> };
  const compose = parse(readRepoFile('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
  const nats = compose.services.nats!;

  it('runs nats-server with the generated users and their local passwords, a configuration it accepts', () => {
    const command = nats.command ?? [];
    const file = command[command.indexOf('-c') + 1]!;
    const mount = (nats.volumes ?? []).find((volume) => volume.split(':')[1] === file);
    expect(mount?.split(':')[0]).toBe('./deploy/compose/nats-authorization.conf');
    for (const user of NATS_USERS) expect(nats.environment?.[passwordVariable(user)], user).toBe(localNatsPassword(user));
    const dir = mkdtempSync(join(tmpdir(), 'compose-nats-'));
    try {
      // The flags as compose passes them, with the store in a temp dir.
      execFileSync(findNatsServer(), ['-c', join(repoRoot, 'deploy/compose/nats-authorization.conf'), '-js', '-sd', dir, '-t'], {
        env: { PATH: process.env.PATH ?? '', ...nats.environment },
        stdio: 'pipe',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(NATS_SERVICE_USERS)('%s signs in as its own user and starts after the streams are provisioned', (name) => {
    const service = compose.services[name]!;
    expect(service.environment).toMatchObject({ NATS_USER: name, NATS_PASSWORD: nats.environment?.[passwordVariable(name)] });
    expect(service.depends_on?.['nats-provision']?.condition).toBe('service_completed_successfully');
  });

  it('provisions the streams once, as the provisioner, with the tools image', () => {
    const provision = compose.services['nats-provision']!;
    expect(provision.command).toEqual(['provision-nats']);
    expect(provision.environment).toMatchObject({ NATS_USER: 'provisioner', NATS_PASSWORD: nats.environment?.[passwordVariable('provisioner')] });
  });
});
