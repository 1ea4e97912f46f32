/**
 * Renders the kustomize base (deploy/k8s) with `kubectl kustomize`, validates every object
 * against the Kubernetes API schemas (kubernetes-models) and checks what the platform relies
 * on: probes, resources, security, migrations, the NATS cluster, wiring, the real providers'
 * URLs and placeholder credentials, and network policies (ingress and egress).
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { DEMO_DATA } from '@platform/devstack/demo-data';
import { describe, expect, it } from 'vitest';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { gatewayEnv } from '../../apps/gateway/src/config';
import { apiKeysSchema, DEVELOPMENT_KEYS, sha256Hex } from '../../apps/gateway/src/domain/api-keys';
import { allowsConnection, EXTERNAL, selectorMatches, type ExternalAddress, type PodEndpoint } from './network-policy';
import {
  createdDatabases,
  DATABASE_SERVICES,
  providerVariables,
  readRepoFile,
  REAL_PROVIDER_URLS,
  repoRoot,
  requiredVariables,
  SERVICES,
  TEST_ONLY_VARIABLES,
  urlVariable,
} from './platform';

const NAMESPACE = 'fulfilment';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

function render(): K8sObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', 'deploy/k8s/base'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    throw new Error(
      code === 'ENOENT'
        ? 'kubectl not found: these tests render deploy/k8s with `kubectl kustomize` (client only, no cluster)'
        : `kubectl kustomize deploy/k8s failed:\n${stderr ?? String(error)}`,
    );
  }
  return parseAllDocuments(out).flatMap((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    const value = doc.toJS() as K8sObject | null;
    return value ? [value] : [];
  });
}

const objects = render();
const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

function all<T>(kind: string): (T & K8sObject)[] {
  return objects.filter((o) => o.kind === kind) as (T & K8sObject)[];
}

/** An object by name; ConfigMaps from generators carry a content-hash suffix. */
function get<T>(kind: string, name: string): T & K8sObject {
  const hashed = new RegExp(`^${name}-[a-z0-9]{10}$`);
  const found = all<T>(kind).filter((o) => o.metadata.name === name || hashed.test(o.metadata.name));
  if (found.length !== 1) throw new Error(`expected one ${kind} named ${name}, found ${found.length}`);
  return found[0]!;
}

const has = (kind: string, name: string) => objects.some((o) => o.kind === kind && o.metadata.name === name);

function container(template: IPodTemplateSpec | undefined, name: string): IContainer {
  const c = template?.spec?.containers.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
}

/** The container port a probe, Service or policy refers to (by number or by name). */
function resolvePort(template: IPodTemplateSpec | undefined, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return template?.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === port)?.containerPort;
}

interface EnvSource {
  value: string | undefined;
  /** Where the value comes from: a literal in the pod spec, a ConfigMap or a Secret. */
  kind: 'literal' | 'ConfigMap' | 'Secret';
  object?: string;
}

/** The environment a container starts with, by variable, resolved against the rendered objects (env wins over envFrom, later envFrom over earlier). */
function environment(c: IContainer): Record<string, EnvSource> {
  const out: Record<string, EnvSource> = {};
  const dataOf = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> => {
    const o = get<{ data?: Record<string, string>; stringData?: Record<string, string> }>(kind, name);
    // A Secret's data is base64; stringData is plain (what secrets.yaml uses).
    const data = Object.entries(o.data ?? {}).map(([k, v]) => [k, kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v]);
    return { ...Object.fromEntries(data), ...(o.stringData ?? {}) };
  };
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ? (['ConfigMap', from.configMapRef.name] as const) : from.secretRef ? (['Secret', from.secretRef.name] as const) : undefined;
    if (!ref) continue;
    for (const [name, value] of Object.entries(dataOf(ref[0], ref[1] ?? ''))) out[name] = { value, kind: ref[0], object: ref[1] };
  }
  for (const e of c.env ?? []) {
    const secret = e.valueFrom?.secretKeyRef;
    const config = e.valueFrom?.configMapKeyRef;
    if (secret) out[e.name] = { value: dataOf('Secret', secret.name ?? '')[secret.key], kind: 'Secret', object: secret.name };
    else if (config) out[e.name] = { value: dataOf('ConfigMap', config.name ?? '')[config.key], kind: 'ConfigMap', object: config.name };
    else out[e.name] = { value: e.value, kind: 'literal' };
  }
  return out;
}

type ModelClass = { new (data: object): { validate(): void }; apiVersion: string; kind: string };

/** The kubernetes-models class for apiVersion/kind, or undefined when the API has no such kind. */
async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ `kubernetes-models/${apiVersion}`)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const Model = mod[kind] as ModelClass | undefined;
  return typeof Model === 'function' && Model.apiVersion === apiVersion && Model.kind === kind ? Model : undefined;
}

describe('kustomize base deploy/k8s: API schemas', () => {
  it('renders a complete set of objects', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['Namespace', 'ConfigMap', 'Secret', 'Deployment', 'Service', 'StatefulSet', 'Job',
      'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']) {
      expect(kinds, kind).toContain(kind);
    }
  });

  it('every object is a known kind and valid against its Kubernetes API schema', async () => {
    const problems: string[] = [];
    for (const o of objects) {
      const Model = await modelFor(o.apiVersion, o.kind);
      if (!Model) {
        problems.push(`${id(o)}: unknown kind for apiVersion ${o.apiVersion}`);
        continue;
      }
      try {
        new Model(o).validate();
      } catch (error) {
        problems.push(`${id(o)}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the validation used above rejects broken objects and unknown kinds', async () => {
    const Deployment = await modelFor('apps/v1', 'Deployment');
    expect(Deployment).toBeDefined();
    expect(() =>
      new Deployment!({ metadata: { name: 'x' }, spec: { replicas: 'two', selector: {}, template: {} } }).validate(),
    ).toThrow();
    expect(await modelFor('apps/v1', 'Deploymnet')).toBeUndefined();
    expect(await modelFor('example.com/v1', 'Widget')).toBeUndefined();
  });

  it('puts every namespaced object into the fulfilment namespace', () => {
    const misplaced = objects
      .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== NAMESPACE)
      .map(id);
    expect(misplaced).toEqual([]);
    expect(get<INamespace>('Namespace', NAMESPACE).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});

/** Pod Security Standard "restricted" (what the namespace enforces) plus a read-only root fs. */
function securityViolations(template: IPodTemplateSpec | undefined): string[] {
  const spec = template?.spec;
  if (!spec) return ['no pod spec'];
  const found: string[] = [];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) found.push('host namespaces');
  const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name');
    if (!type || !allowedVolumes.includes(type)) found.push(`volume ${volume.name}: ${type}`);
  }
  const pod = spec.securityContext ?? {};
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const sc = c.securityContext ?? {};
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) found.push(`${c.name}: runAsNonRoot`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) found.push(`${c.name}: runAsUser 0`);
    if (sc.privileged) found.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) found.push(`${c.name}: allowPrivilegeEscalation`);
    if (!sc.capabilities?.drop?.includes('ALL')) found.push(`${c.name}: capabilities not dropped`);
    if (sc.capabilities?.add?.some((cap) => cap !== 'NET_BIND_SERVICE')) found.push(`${c.name}: capabilities added`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') found.push(`${c.name}: seccompProfile`);
    if (sc.readOnlyRootFilesystem !== true) found.push(`${c.name}: writable root filesystem`);
    if (!c.resources?.requests?.cpu || !c.resources.requests.memory || !c.resources.limits?.memory) {
      found.push(`${c.name}: resources`);
    }
  }
  return found;
}

describe('workload security', () => {
  const workloads = [
    ...all<IDeployment>('Deployment').map((o) => [id(o), o.spec?.template] as const),
    ...all<IStatefulSet>('StatefulSet').map((o) => [id(o), o.spec?.template] as const),
    ...all<IJob>('Job').map((o) => [id(o), o.spec?.template] as const),
  ];

  it.each(workloads)('%s runs non-root, read-only, unprivileged, with resources', (_name, template) => {
    expect(securityViolations(template)).toEqual([]);
  });

  it('the check above does catch a root container', () => {
    expect(securityViolations({ spec: { containers: [{ name: 'x', securityContext: { runAsUser: 0 } }] } }))
      .toContain('x: runAsUser 0');
  });
});

describe.each(SERVICES)('service $name', (service) => {
  const deployment = get<IDeployment>('Deployment', service.name);
  const template = deployment.spec?.template;
  const app = container(template, 'app');

  it('has a Deployment with 2 replicas of its image, listening on its port', () => {
    expect(deployment.spec?.replicas).toBe(2);
    expect(app.image).toMatch(new RegExp(`^fulfilment-platform/${service.name}(:|@|$)`));
    expect(resolvePort(template, 'http')).toBe(service.port);
    expect(app.env).toContainEqual({ name: 'PORT', value: String(service.port) });
  });

  it('probes /healthz (startup, liveness) and /readyz (readiness) on its port', () => {
    expect(app.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(app.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(app.startupProbe?.httpGet?.path).toBe('/healthz');
    for (const probe of [app.livenessProbe, app.readinessProbe, app.startupProbe]) {
      expect(resolvePort(template, probe?.httpGet?.port)).toBe(service.port);
    }
  });

  it('sets CPU and memory requests and limits', () => {
    const { requests, limits } = app.resources ?? {};
    expect(requests?.cpu).toBeDefined();
    expect(requests?.memory).toBeDefined();
    expect(limits?.cpu).toBeDefined();
    expect(limits?.memory).toBeDefined();
  });

  it('runs no migration in its pods: the service image has no Prisma CLI and no migrate-on-start switch', () => {
    expect(app.env?.map((e) => e.name) ?? []).not.toContain('MIGRATE_ON_START');
    expect([...(app.command ?? []), ...(app.args ?? [])].join(' ')).not.toMatch(/prisma/);
  });

  it('gets the shared ConfigMap and its own (required) Secret through envFrom', () => {
    const configMap = get<IConfigMap>('ConfigMap', 'platform-config');
    expect(app.envFrom).toContainEqual({ configMapRef: { name: configMap.metadata.name } });
    const secretRef = app.envFrom?.find((e) => e.secretRef)?.secretRef;
    expect(secretRef?.name).toBe(`${service.name}-secrets`);
    expect(secretRef?.optional ?? false).toBe(false);
    if (service.database) {
      const secret = get<ISecret>('Secret', `${service.name}-secrets`);
      const url = new URL(secret.stringData?.DATABASE_URL ?? '');
      expect(url.protocol).toBe('postgresql:');
      expect(url.pathname).toBe(`/${service.database}`);
    }
  });

  it('has a ClusterIP Service on its port that selects its pods and not the migration Job', () => {
    const svc = get<IService>('Service', service.name);
    expect(svc.spec?.type ?? 'ClusterIP').toBe('ClusterIP');
    const port = svc.spec?.ports?.find((p) => p.port === service.port);
    expect(port).toBeDefined();
    expect(resolvePort(template, port?.targetPort)).toBe(service.port);
    expect(selectorMatches({ matchLabels: svc.spec?.selector }, template?.metadata?.labels ?? {})).toBe(true);
    for (const job of all<IJob>('Job')) {
      expect(selectorMatches({ matchLabels: svc.spec?.selector }, job.spec?.template.metadata?.labels ?? {})).toBe(false);
    }
  });

  it('autoscales on CPU (autoscaling/v2) and has a PodDisruptionBudget', () => {
    const hpa = get<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler', service.name);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec?.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: service.name });
    expect(hpa.spec?.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')).toBe(true);
    expect(hpa.spec?.minReplicas ?? 1).toBeGreaterThanOrEqual(2);
    expect(hpa.spec?.maxReplicas).toBeGreaterThan(hpa.spec?.minReplicas ?? 1);

    const pdb = get<IPodDisruptionBudget>('PodDisruptionBudget', service.name);
    expect(selectorMatches(pdb.spec?.selector, template?.metadata?.labels ?? {})).toBe(true);
    expect(pdb.spec?.maxUnavailable ?? pdb.spec?.minAvailable).toBeDefined();
  });

  // Registered only where they apply (services that call providers; services with a plain env schema).
  const providers = providerVariables(service.name);
  if (providers.length > 0) {
    it('calls the real provider APIs (URLs from platform-config)', () => {
      const env = environment(app);
      for (const variable of providers.filter((v) => v.urlOf)) {
        expect(env[variable.name], variable.name).toMatchObject({ kind: 'ConfigMap', value: REAL_PROVIDER_URLS[variable.urlOf!] });
      }
    });

    it('gets every provider credential from its Secret, as a placeholder', () => {
      const env = environment(app);
      for (const variable of providers.filter((v) => !v.urlOf)) {
        expect(env[variable.name], variable.name).toMatchObject({ kind: 'Secret', object: `${service.name}-secrets`, value: 'CHANGE-ME' });
      }
    });
  }

  if (service.name !== 'gateway') {
    it('gets every variable its env schema requires', () => {
      const env = environment(app);
      expect(requiredVariables(service.name).filter((name) => env[name]?.value === undefined)).toEqual([]);
    });
  }

  it('sets no test-only switch', () => {
    const env = environment(app);
    for (const variable of TEST_ONLY_VARIABLES) expect(env[variable], variable).toBeUndefined();
  });

  it('starts without demo data (no demo price book, no demo hubs)', () => {
    const env = environment(app);
    for (const variable of Object.keys(DEMO_DATA)) expect([undefined, 'false'], variable).toContain(env[variable]?.value);
    // The demo price book is on unless turned off: orders must be told.
    if (service.name === 'orders') expect(env.SEED_DEMO_PRICE_BOOK?.value).toBe('false');
  });

  it(service.database ? 'has a migration Job running prisma migrate deploy' : 'has no migration Job', () => {
    const job = all<IJob>('Job').find((j) => j.metadata.name === `${service.name}-migrate`);
    if (!service.database) {
      expect(job).toBeUndefined();
      return;
    }
    expect(job).toBeDefined();
    const migrate = job!.spec?.template.spec?.containers[0];
    expect([...(migrate?.command ?? []), ...(migrate?.args ?? [])].join(' ')).toMatch(/\bprisma migrate deploy$/);
    // The service's migrate image (Dockerfile target `migrate`; the service image has no Prisma CLI),
    // with the service image's tag or digest if it has one.
    const [, name, tag = ''] = /^([^:@]+)([:@].*)?$/.exec(app.image ?? '') ?? [];
    expect(name).toBe(`fulfilment-platform/${service.name}`);
    expect(migrate?.image).toBe(`${name}-migrate${tag}`);
    expect(migrate?.envFrom).toContainEqual({ secretRef: { name: `${service.name}-secrets` } });
    expect(['Never', 'OnFailure']).toContain(job!.spec?.template.spec?.restartPolicy);
  });
});

describe('shared configuration', () => {
  const data = get<IConfigMap>('ConfigMap', 'platform-config').data ?? {};

  it('points NATS_URL at the NATS client Service', () => {
    const url = new URL(data.NATS_URL ?? '');
    expect(url.protocol).toBe('nats:');
    const svc = get<IService>('Service', url.hostname);
    expect(svc.spec?.ports?.map((p) => p.port)).toContain(Number(url.port));
  });

  it.each(SERVICES.filter((s) => s.name !== 'gateway'))('points $name URL of the gateway at its Service', (service) => {
    const url = new URL(data[urlVariable(service.name)] ?? '');
    expect(url.hostname).toBe(service.name);
    expect(Number(url.port)).toBe(service.port);
    expect(has('Service', service.name)).toBe(true);
  });

  it('has an SMTP_URL for notifications', () => {
    expect(data.SMTP_URL).toMatch(/^smtps?:\/\//);
  });

  it('marks every Secret as a placeholder to be replaced per environment', () => {
    const unmarked = all<ISecret>('Secret')
      .filter((s) => !s.metadata.annotations?.['fulfilment-platform.dev/placeholder'])
      .map(id);
    expect(unmarked).toEqual([]);
  });
});

describe('gateway API keys and public URLs', () => {
  const app = container(get<IDeployment>('Deployment', 'gateway').spec?.template, 'app');

  it('passes the gateway environment schema with NODE_ENV=production (the image sets it) once the secret is set', () => {
    const env = Object.fromEntries(Object.entries(environment(app)).map(([name, source]) => [name, source.value]));
    expect(gatewayEnv.safeParse({ ...env, NODE_ENV: 'production', ORDER_LINK_SECRET: 'x'.repeat(40) }).error?.issues ?? []).toEqual([]);
  });

  it('ships no usable ORDER_LINK_SECRET: the placeholder is refused, so the gateway does not start with a known secret', () => {
    const env = Object.fromEntries(Object.entries(environment(app)).map(([name, source]) => [name, source.value]));
    expect(environment(app).ORDER_LINK_SECRET).toMatchObject({ kind: 'Secret', object: 'gateway-secrets', value: 'CHANGE-ME' });
    expect(gatewayEnv.safeParse({ ...env, NODE_ENV: 'production' }).error?.issues.map((issue) => issue.path.join('.'))).toEqual(['ORDER_LINK_SECRET']);
  });

  it('gets API_KEYS from the gateway Secret (required with NODE_ENV=production)', () => {
    expect(environment(app).API_KEYS).toMatchObject({ kind: 'Secret', object: 'gateway-secrets' });
  });

  it('ships a placeholder API_KEYS that is valid, holds only hashes, and opens nothing', () => {
    const keys = apiKeysSchema.parse(environment(app).API_KEYS?.value);
    expect(keys.every((k) => k.key === undefined && k.keySha256 !== undefined)).toBe(true);
    const known = [...DEVELOPMENT_KEYS.map((k) => k.key!), 'CHANGE-ME', ''].map(sha256Hex);
    for (const k of keys) expect(known).not.toContain(k.keySha256!.toLowerCase());
  });

  it.each(['gateway', 'notifications'])('gives %s an https PUBLIC_BASE_URL', (name) => {
    const env = environment(container(get<IDeployment>('Deployment', name).spec?.template, 'app'));
    expect(new URL(env.PUBLIC_BASE_URL?.value ?? '').protocol).toBe('https:');
  });
});

describe('NATS JetStream cluster', () => {
  const sts = get<IStatefulSet>('StatefulSet', 'nats');
  const template = sts.spec?.template;
  const nats = container(template, 'nats');
  const configVolume = template?.spec?.volumes?.find((v) => v.configMap);
  const conf = get<IConfigMap>('ConfigMap', 'nats-config').data?.['nats.conf'] ?? '';

  it('runs 3 replicas of nats:2.10-alpine with its config from a ConfigMap', () => {
    expect(sts.spec?.replicas).toBe(3);
    expect(nats.image).toBe('nats:2.10-alpine');
    expect(configVolume?.configMap?.name).toBe(get<IConfigMap>('ConfigMap', 'nats-config').metadata.name);
    const mount = nats.volumeMounts?.find((m) => m.name === configVolume?.name);
    expect(nats.args?.join(' ')).toContain(`${mount?.mountPath}/nats.conf`);
  });

  it('enables JetStream with its store on a persistent volume claim template', () => {
    const storeDir = /^jetstream\s*\{[^}]*?\bstore_dir:\s*"?([^\s"]+)"?/m.exec(conf)?.[1];
    expect(storeDir).toBeDefined();
    const claims = (sts.spec?.volumeClaimTemplates ?? []).map((c) => c.metadata?.name);
    const storeMount = nats.volumeMounts?.find((m) => m.mountPath === storeDir);
    expect(claims).toContain(storeMount?.name);
  });

  it('routes the cluster to all members through the headless Service', () => {
    const headless = get<IService>('Service', sts.spec?.serviceName ?? '');
    expect(headless.spec?.clusterIP).toBe('None');
    expect(headless.spec?.publishNotReadyAddresses).toBe(true);
    expect(selectorMatches({ matchLabels: headless.spec?.selector }, template?.metadata?.labels ?? {})).toBe(true);
    const clusterPort = resolvePort(template, 'cluster');
    expect(conf).toMatch(new RegExp(`^cluster\\s*\\{[^}]*\\bport:\\s*${clusterPort}\\b`, 'm'));
    for (let i = 0; i < (sts.spec?.replicas ?? 0); i++) {
      expect(conf).toContain(`nats://nats-${i}.${headless.metadata.name}:${clusterPort}`);
    }
    expect(conf).toMatch(/^server_name:\s*\$POD_NAME\b/m);
    expect(nats.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  });

  it('serves clients on 4222 and monitoring on 8222', () => {
    expect(resolvePort(template, 'client')).toBe(4222);
    expect(resolvePort(template, 'monitor')).toBe(8222);
    expect(conf).toMatch(/^http_port:\s*8222\b/m);
    const client = get<IService>('Service', 'nats');
    expect(client.spec?.clusterIP).not.toBe('None');
    expect(client.spec?.ports?.find((p) => p.port === 4222)).toBeDefined();
    expect(nats.readinessProbe?.httpGet?.port).toBe('monitor');
  });
});

describe('PostgreSQL (single instance for the base)', () => {
  it('creates the five service databases, the same as docker compose', () => {
    const sql = get<IConfigMap>('ConfigMap', 'postgres-init').data ?? {};
    const databases = Object.values(sql).flatMap(createdDatabases).sort();
    expect(databases).toEqual(DATABASE_SERVICES.map((s) => s.database).sort());
    expect(createdDatabases(readRepoFile('deploy/compose/create-databases.sql')).sort()).toEqual(databases);
  });

  it.each(DATABASE_SERVICES)('serves the $name DATABASE_URL host and port', (service) => {
    const url = new URL(get<ISecret>('Secret', `${service.name}-secrets`).stringData?.DATABASE_URL ?? '');
    const svc = get<IService>('Service', url.hostname);
    const sts = get<IStatefulSet>('StatefulSet', 'postgres');
    expect(svc.spec?.ports?.map((p) => p.port)).toContain(Number(url.port || 5432));
    expect(selectorMatches({ matchLabels: svc.spec?.selector }, sts.spec?.template.metadata?.labels ?? {})).toBe(true);
  });
});

describe('network policies', () => {
  const policies = all<INetworkPolicy>('NetworkPolicy');
  let podIps = 0;
  const inNamespace = (template: IPodTemplateSpec | undefined): PodEndpoint => ({
    namespace: NAMESPACE,
    namespaceLabels: { 'kubernetes.io/metadata.name': NAMESPACE },
    labels: template?.metadata?.labels ?? {},
    ports: (template?.spec?.containers ?? []).flatMap((c) => c.ports ?? []),
    ip: `10.244.0.${++podIps}`, // the cluster's pod range
  });
  const pod = (name: string) => inNamespace(get<IDeployment>('Deployment', name).spec?.template);
  const nats = inNamespace(get<IStatefulSet>('StatefulSet', 'nats').spec?.template);
  const postgres = inNamespace(get<IStatefulSet>('StatefulSet', 'postgres').spec?.template);
  const prometheus: PodEndpoint = {
    namespace: 'monitoring',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
    labels: { 'app.kubernetes.io/name': 'prometheus' },
    ports: [],
  };
  const stranger: PodEndpoint = {
    namespace: 'default',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'default' },
    labels: { app: 'curl' },
    ports: [],
  };
  const kubeDns: PodEndpoint = {
    namespace: 'kube-system',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
    labels: { 'k8s-app': 'kube-dns' },
    ports: [{ name: 'dns', containerPort: 53 }],
    ip: '10.96.0.10',
  };
  /** A provider API on the internet (documentation address), and a host on the internal network. */
  const internet: ExternalAddress = { ip: '203.0.113.10' };
  const internalHost: ExternalAddress = { ip: '192.168.10.20' };
  const allow = (from: PodEndpoint | typeof EXTERNAL, to: PodEndpoint | ExternalAddress, port: number, protocol = 'TCP') =>
    allowsConnection(policies, from, to, port, protocol);
  const providerCallers = SERVICES.filter((s) => providerVariables(s.name).length > 0).map((s) => s.name);
  const migrationJobs = () => DATABASE_SERVICES.map((s) => inNamespace(get<IJob>('Job', `${s.name}-migrate`).spec?.template));

  it('denies all ingress by default', () => {
    const denyAll = policies.find(
      (p) => Object.keys(p.spec?.podSelector ?? {}).length === 0 && p.spec?.policyTypes?.includes('Ingress') && !p.spec.ingress?.length,
    );
    expect(denyAll).toBeDefined();
    expect(allow(stranger, pod('orders'), 8081)).toBe(false);
  });

  it('lets anyone reach the gateway on 8080, and nothing else from outside', () => {
    expect(allow(EXTERNAL, pod('gateway'), 8080)).toBe(true);
    expect(allow(stranger, pod('gateway'), 8080)).toBe(true);
    expect(allow(EXTERNAL, pod('gateway'), 9229)).toBe(false);
    for (const s of SERVICES.filter((x) => x.name !== 'gateway')) expect(allow(EXTERNAL, pod(s.name), s.port)).toBe(false);
    expect(allow(EXTERNAL, nats, 4222)).toBe(false);
    expect(allow(stranger, postgres, 5432)).toBe(false);
  });

  it.each(SERVICES.filter((s) => s.name !== 'gateway'))('lets the gateway, and only it, call $name', (service) => {
    expect(allow(pod('gateway'), pod(service.name), service.port)).toBe(true);
    const other = service.name === 'orders' ? 'billing' : 'orders';
    expect(allow(pod(other), pod(service.name), service.port)).toBe(false);
  });

  it.each(SERVICES)('lets $name reach NATS but not its cluster port', (service) => {
    expect(allow(pod(service.name), nats, 4222)).toBe(true);
    expect(allow(pod(service.name), nats, 6222)).toBe(false);
  });

  it('lets the NATS members route to each other', () => {
    expect(allow(nats, nats, 6222)).toBe(true);
  });

  it.each(DATABASE_SERVICES)('lets $name and its migration Job reach PostgreSQL', (service) => {
    expect(allow(pod(service.name), postgres, 5432)).toBe(true);
    const job = inNamespace(get<IJob>('Job', `${service.name}-migrate`).spec?.template);
    expect(allow(job, postgres, 5432)).toBe(true);
  });

  it('keeps the gateway (no database) away from PostgreSQL', () => {
    expect(allow(pod('gateway'), postgres, 5432)).toBe(false);
  });

  it('lets Prometheus in the monitoring namespace scrape the services and NATS', () => {
    for (const s of SERVICES) expect(allow(prometheus, pod(s.name), s.port)).toBe(true);
    expect(allow(prometheus, nats, 8222)).toBe(true);
    expect(allow(prometheus, postgres, 5432)).toBe(false);
  });

  it('denies all egress by default', () => {
    const denyAll = policies.find(
      (p) => Object.keys(p.spec?.podSelector ?? {}).length === 0 && p.spec?.policyTypes?.includes('Egress') && !p.spec.egress?.length,
    );
    expect(denyAll).toBeDefined();
    expect(allow(pod('gateway'), internet, 443)).toBe(false);
    expect(allow(pod('gateway'), internet, 80)).toBe(false);
  });

  it('lets every pod resolve names through the cluster DNS', () => {
    for (const endpoint of [...SERVICES.map((s) => pod(s.name)), nats, postgres, ...migrationJobs()]) {
      expect(allow(endpoint, kubeDns, 53, 'UDP')).toBe(true);
      expect(allow(endpoint, kubeDns, 53, 'TCP')).toBe(true);
    }
  });

  it('the provider-calling services are orders (TikTok Shop), billing, fulfillment, tracking and notifications', () => {
    expect([...providerCallers].sort()).toEqual(['billing', 'fulfillment', 'notifications', 'orders', 'tracking']);
  });

  it.each(SERVICES)('lets $name reach the internet on 443 only if it calls providers', (service) => {
    const callsProviders = providerCallers.includes(service.name);
    expect(allow(pod(service.name), internet, 443)).toBe(callsProviders);
    expect(allow(pod(service.name), internet, 80)).toBe(false);
    expect(allow(pod(service.name), internet, 8443)).toBe(false);
    // 443 is for the internet: not the internal network, not pods in the cluster.
    expect(allow(pod(service.name), internalHost, 443)).toBe(false);
    expect(allow(pod(service.name), pod('gateway'), 443)).toBe(false);
  });

  it('keeps NATS, PostgreSQL and the migration Jobs off the internet', () => {
    for (const endpoint of [nats, postgres, ...migrationJobs()]) expect(allow(endpoint, internet, 443)).toBe(false);
  });

  it('lets notifications, and only it, reach the SMTP relay of SMTP_URL', () => {
    const smtpPort = Number(new URL(get<IConfigMap>('ConfigMap', 'platform-config').data?.SMTP_URL ?? '').port || 25);
    for (const s of SERVICES) expect(allow(pod(s.name), internet, smtpPort)).toBe(s.name === 'notifications');
  });

  it('lets only the gateway call services over HTTP (the services talk to each other through NATS)', () => {
    expect(allow(pod('gateway'), pod('orders'), 8081)).toBe(true);
    expect(allow(pod('billing'), pod('orders'), 8081)).toBe(false);
    expect(allow(pod('orders'), pod('gateway'), 8080)).toBe(false);
    expect(allow(pod('gateway'), internet, 443)).toBe(false);
  });
});
