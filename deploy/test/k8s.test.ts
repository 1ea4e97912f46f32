/**
 * Renders deploy/k8s (the base and the dev and production overlays) with `kubectl kustomize`,
 * validates every object strictly against its API schema (deploy/test/k8s-schemas.ts: the
 * Kubernetes API and the PodMonitor, ScaledObject and ExternalSecret CRDs; unknown fields
 * fail) and checks what the platform relies on: migrations before serving, autoscaling without
 * a fixed replica count, identities and monitors per service, no Secret values in the base,
 * the dev Secrets' shapes, probes, security, the NATS cluster, the operators' tools, the
 * OpenTelemetry collector, the real providers' URLs, and network policies (ingress and egress).
 */
import { parse } from 'yaml';
import { DEMO_DATA } from '@platform/devstack/demo-data';
import { SERVICE_HEAP_MB } from '@platform/devstack/services';
import { durableConsumers } from '@platform/contracts/consumers';
import { describe, expect, it } from 'vitest';
import type { IExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import type { IPodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { IDeployment, IStatefulSet } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IIngress, INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IConfigMap, IContainer, INamespace, IPod, IPodTemplateSpec, ISecret, IService, IServiceAccount } from 'kubernetes-models/v1';
import { gatewayEnv } from '../../apps/gateway/src/config';
import { apiKeysSchema, DEVELOPMENT_KEYS, sha256Hex } from '../../apps/gateway/src/domain/api-keys';
import { operatorCommands } from '../../packages/devstack/tsup.config';
import { container, id, Manifests, NAMESPACE, resolvePort, secretsOf, securityViolations, TREES, type Tree } from './k8s-render';
import { type K8sObject, modelFor, schemaProblems } from './k8s-schemas';
import { allowsConnection, EXTERNAL, selectorMatches, type ExternalAddress, type PodEndpoint } from './network-policy';
import {
  createdDatabases,
  DATABASE_SERVICES,
  providerVariables,
  readRepoFile,
  REAL_PROVIDER_URLS,
  requiredVariables,
  SERVICES,
  TEST_ONLY_VARIABLES,
  urlVariable,
} from './platform';

const rendered = Object.fromEntries(Object.keys(TREES).map((tree) => [tree, new Manifests(tree as Tree)])) as Record<Tree, Manifests>;
const trees = Object.values(rendered);

/** The port the gateway serves /metrics, /docs and the probes on (the contract's MANAGEMENT_PORT). */
const GATEWAY_MANAGEMENT_PORT = 9090;
const metricsPort = (service: string) => (service === 'gateway' ? 'management' : 'http');

/** The example files an operator applies by hand (deploy/k8s/examples/). */
const jobExample = parse(readRepoFile('deploy/k8s/examples/dead-letters-job.yaml')) as IJob & K8sObject;
const toolsOverrides = JSON.parse(readRepoFile('deploy/k8s/examples/tools-pod-overrides.json')) as IPod;
/** The pod `kubectl run tools --image ... --overrides "$(cat tools-pod-overrides.json)" --override-type=strategic -- dead-letters list` creates. */
function toolsRunPod(): IPod & K8sObject {
  const overridden = toolsOverrides.spec!.containers[0]!;
  return {
    ...toolsOverrides,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...toolsOverrides.metadata, name: 'tools', namespace: NAMESPACE },
    spec: {
      ...toolsOverrides.spec!,
      restartPolicy: 'Never',
      containers: [{ ...overridden, name: 'tools', image: 'fulfilment-platform/tools:dev', args: ['dead-letters', 'list'] }],
    },
  } as IPod & K8sObject;
}

interface EnvSource {
  value: string | undefined;
  /** Where the value comes from: a literal in the pod spec, a ConfigMap or a Secret. */
  kind: 'literal' | 'ConfigMap' | 'Secret';
  object?: string;
}

/** The data of a ConfigMap or Secret, decoded (a Secret's data is base64; stringData is plain). */
function dataOf(m: Manifests, kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> {
  const o = m.get<{ data?: Record<string, string>; stringData?: Record<string, string> }>(kind, name);
  const data = Object.entries(o.data ?? {}).map(([k, v]) => [k, kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v]);
  return { ...Object.fromEntries(data), ...(o.stringData ?? {}) };
}

/** The environment a container starts with, by variable, resolved against the rendered objects (env wins over envFrom, later envFrom over earlier). */
function environment(m: Manifests, c: IContainer): Record<string, EnvSource> {
  const out: Record<string, EnvSource> = {};
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ? (['ConfigMap', from.configMapRef.name] as const) : from.secretRef ? (['Secret', from.secretRef.name] as const) : undefined;
    if (!ref) continue;
    for (const [name, value] of Object.entries(dataOf(m, ref[0], ref[1] ?? ''))) out[name] = { value, kind: ref[0], object: ref[1] };
  }
  for (const e of c.env ?? []) {
    const secret = e.valueFrom?.secretKeyRef;
    const config = e.valueFrom?.configMapKeyRef;
    if (secret) out[e.name] = { value: dataOf(m, 'Secret', secret.name ?? '')[secret.key], kind: 'Secret', object: secret.name };
    else if (config) out[e.name] = { value: dataOf(m, 'ConfigMap', config.name ?? '')[config.key], kind: 'ConfigMap', object: config.name };
    else out[e.name] = { value: e.value, kind: 'literal' };
  }
  return out;
}

const imageParts = (image = '') => {
  const [, name = '', tag = ''] = /^([^:@]+)([:@].*)?$/.exec(image) ?? [];
  return { name, tag };
};

describe('strict schema validation (deploy/test/k8s-schemas.ts)', () => {
  const deployment = (container: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', labels: { a: 'b' } },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'app', image: 'x', ...container }] } } },
  });

  it('accepts a valid object, maps (labels) included', async () => {
    expect(await schemaProblems(deployment({ imagePullPolicy: 'Always' }))).toEqual([]);
  });

  it('rejects a misspelt field such as imagePulPolicy, with its path', async () => {
    expect(await schemaProblems(deployment({ imagePulPolicy: 'Always' }))).toEqual(['unknown field /spec/template/spec/containers/0/imagePulPolicy']);
  });

  it('rejects wrong types and unknown kinds', async () => {
    expect((await schemaProblems(deployment({ ports: [{ containerPort: 'eighty' }] }))).join()).toMatch(/containerPort/);
    expect(await schemaProblems({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } })).toEqual(['unknown kind Deploymnet for apiVersion apps/v1']);
    expect(await modelFor('example.com/v1', 'Widget')).toBeUndefined();
  });

  it.each([
    ['PodMonitor', { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'x' }, spec: { selector: {}, podMetricsEndpoints: [{ port: 'http', pathh: '/metrics' }] } }, '/spec/podMetricsEndpoints/0/pathh'],
    ['ScaledObject', { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x' }, spec: { scaleTargetRef: { name: 'x' }, minReplicaCont: 2, triggers: [{ type: 'cpu', metadata: { value: '70' } }] } }, '/spec/minReplicaCont'],
    ['ExternalSecret', { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'x' }, spec: { secretStoreRef: { name: 's', kind: 'ClusterSecretStore' }, targett: { name: 'x' } } }, '/spec/targett'],
  ])('rejects an unknown field of the CRD kind %s', async (_kind, object, path) => {
    expect(await schemaProblems(object)).toEqual([`unknown field ${path}`]);
  });

  it('lets free-form values through: a KEDA trigger\'s metadata map', async () => {
    const scaled = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x' }, spec: { scaleTargetRef: { name: 'x' }, triggers: [{ type: 'nats-jetstream', metadata: { stream: 'ORDERS', anything: 'x' } }] } };
    expect(await schemaProblems(scaled)).toEqual([]);
  });
});

describe.each(trees)('$tree: every object', (m) => {
  it('is a known kind and valid, strictly, against its API schema', async () => {
    const problems: string[] = [];
    for (const o of m.objects) problems.push(...(await schemaProblems(o)).map((p) => `${id(o)}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('is in the fulfilment namespace, which enforces the restricted pod security standard', () => {
    expect(m.objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== NAMESPACE).map(id)).toEqual([]);
    expect(m.get<INamespace>('Namespace', NAMESPACE).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('runs every workload non-root, read-only, unprivileged, with resources', () => {
    const templates = [...m.all<IDeployment>('Deployment'), ...m.all<IStatefulSet>('StatefulSet'), ...m.all<IJob>('Job')];
    expect(templates.flatMap((o) => securityViolations(o.spec?.template).map((v) => `${id(o)}: ${v}`))).toEqual([]);
  });
});

describe.each(trees)('$tree: services', (m) => {
  it.each(SERVICES)('$name has a Deployment of its image with its ServiceAccount, and no API token', (service) => {
    const deployment = m.get<IDeployment>('Deployment', service.name);
    const pod = deployment.spec?.template.spec;
    expect(imageParts(container(deployment.spec?.template, 'app').image).name).toMatch(new RegExp(`(^|/)fulfilment-platform/${service.name}$`));
    const account = m.get<IServiceAccount>('ServiceAccount', service.name);
    expect(pod?.serviceAccountName).toBe(account.metadata.name);
    expect(account.automountServiceAccountToken).toBe(false);
    expect(pod?.automountServiceAccountToken).toBe(false);
  });

  it.each(SERVICES)('$name: Prometheus scrapes /metrics of its pods through a PodMonitor', (service) => {
    const template = m.get<IDeployment>('Deployment', service.name).spec?.template;
    const monitors = m.all<IPodMonitor>('PodMonitor').filter((p) => selectorMatches(p.spec.selector, template?.metadata?.labels ?? {}));
    expect(monitors.map(id)).toEqual([`PodMonitor/${service.name}`]);
    const endpoints = monitors[0]!.spec.podMetricsEndpoints ?? [];
    expect(endpoints.map((e) => [e.port, e.path])).toEqual([[metricsPort(service.name), '/metrics']]);
    expect(resolvePort(template, endpoints[0]!.port)).toBe(service.name === 'gateway' ? GATEWAY_MANAGEMENT_PORT : service.port);
  });

  it.each(SERVICES)('$name is scaled by exactly one autoscaler, and its Deployment fixes no replica count', (service) => {
    const hpas = m.all<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler').filter((h) => h.spec?.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === service.name);
    const scaled = m.all<IScaledObject>('ScaledObject').filter((s) => (s.spec.scaleTargetRef.kind ?? 'Deployment') === 'Deployment' && s.spec.scaleTargetRef.name === service.name);
    // KEDA makes an HPA of its own from a ScaledObject: two would fight over the replicas.
    expect(hpas.length + scaled.length).toBe(1);
    expect(m.get<IDeployment>('Deployment', service.name).spec?.replicas).toBeUndefined();
    const cpu = hpas.length
      ? hpas[0]!.spec?.metrics?.some((x) => x.type === 'Resource' && x.resource?.name === 'cpu')
      : scaled[0]!.spec.triggers.some((t) => t.type === 'cpu');
    expect(cpu).toBe(true);
    const [min, max] = hpas.length ? [hpas[0]!.spec?.minReplicas, hpas[0]!.spec?.maxReplicas] : [scaled[0]!.spec.minReplicaCount, scaled[0]!.spec.maxReplicaCount];
    expect(min).toBeGreaterThanOrEqual(2);
    expect(max).toBeGreaterThan(min!);
  });

  it('fixes no replica count on any Deployment that an autoscaler scales', () => {
    const targets = [
      ...m.all<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler').map((h) => h.spec?.scaleTargetRef.name),
      ...m.all<IScaledObject>('ScaledObject').map((s) => s.spec.scaleTargetRef.name),
    ];
    expect(targets.length).toBeGreaterThan(0);
    const fixed = m.all<IDeployment>('Deployment').filter((d) => targets.includes(d.metadata.name) && d.spec?.replicas !== undefined).map(id);
    expect(fixed).toEqual([]);
  });

  it.each(DATABASE_SERVICES)('$name migrates before it serves: init container with its migrate image, same tag', (service) => {
    const template = m.get<IDeployment>('Deployment', service.name).spec?.template;
    const init = template?.spec?.initContainers ?? [];
    expect(init.map((c) => c.name)).toEqual(['migrate']);
    const migrate = init[0]!;
    expect([...(migrate.command ?? []), ...(migrate.args ?? [])].join(' ')).toBe('prisma migrate deploy');
    const app = imageParts(container(template, 'app').image);
    expect(migrate.image).toBe(`${app.name}-migrate${app.tag}`);
    expect(migrate.envFrom).toContainEqual({ secretRef: { name: `${service.name}-secrets` } });
    // Jobs are immutable: a re-applied migration Job with a new image is refused.
    expect(m.find('Job', `${service.name}-migrate`)).toBeUndefined();
  });

  it('runs no migration in the gateway (no database) and none in the service containers', () => {
    expect(m.get<IDeployment>('Deployment', 'gateway').spec?.template.spec?.initContainers ?? []).toEqual([]);
    for (const s of SERVICES) {
      const app = container(m.get<IDeployment>('Deployment', s.name).spec?.template, 'app');
      expect([...(app.command ?? []), ...(app.args ?? [])].join(' ')).not.toMatch(/prisma/);
      expect(app.env?.map((e) => e.name) ?? []).not.toContain('MIGRATE_ON_START');
    }
  });

  it('the migrate patch names exactly the services with a database', () => {
    const kustomization = parse(readRepoFile('deploy/k8s/base/apps/kustomization.yaml')) as { patches: { path: string; target?: { name?: string } }[] };
    const pattern = kustomization.patches.find((p) => p.path === 'defaults/migrate.yaml')?.target?.name ?? '';
    expect(SERVICES.filter((s) => new RegExp(pattern).test(s.name)).map((s) => s.name)).toEqual(DATABASE_SERVICES.map((s) => s.name));
  });
});

describe('base deploy/k8s/base', () => {
  const base = rendered.base;

  it('holds no Secret and no secret value: every environment supplies its own', () => {
    expect(base.all('Secret').map(id)).toEqual([]);
    const secretLike = /PASSWORD|SECRET|TOKEN|API_KEY|DATABASE_URL/;
    const literals = [...base.all<IDeployment>('Deployment'), ...base.all<IStatefulSet>('StatefulSet')].flatMap((w) =>
      [...(w.spec?.template.spec?.initContainers ?? []), ...(w.spec?.template.spec?.containers ?? [])].flatMap((c) =>
        (c.env ?? []).filter((e) => secretLike.test(e.name) && e.value !== undefined).map((e) => `${id(w)} ${c.name} ${e.name}`),
      ),
    );
    expect(literals).toEqual([]);
    const configKeys = base.all<IConfigMap>('ConfigMap').flatMap((c) => Object.keys(c.data ?? {}).filter((k) => secretLike.test(k)));
    expect(configKeys).toEqual([]);
  });

  it('leaves image tags to the overlays', () => {
    const images = base.all<IDeployment>('Deployment').flatMap((d) => [...(d.spec?.template.spec?.initContainers ?? []), ...(d.spec?.template.spec?.containers ?? [])]).map((c) => c.image ?? '');
    expect(images.filter((i) => i.startsWith('fulfilment-platform/') && imageParts(i).tag !== '')).toEqual([]);
  });
});

describe.each([rendered.dev, rendered.production])('$tree: images and Secrets', (m) => {
  const platformImages = () =>
    [...m.all<IDeployment>('Deployment'), ...m.all<IStatefulSet>('StatefulSet'), ...m.all<IJob>('Job')]
      .flatMap((w) => [...(w.spec?.template.spec?.initContainers ?? []), ...(w.spec?.template.spec?.containers ?? [])])
      .map((c) => c.image ?? '')
      .filter((image) => /(^|\/)fulfilment-platform\//.test(image));

  it('pins every platform image to one tag', () => {
    const tags = new Set(platformImages().map((image) => imageParts(image).tag));
    expect([...tags]).toHaveLength(1);
    expect([...tags][0]).toMatch(/^:[\w.-]+$/);
  });

  it('sets every image through `images:` (service, migrate and tools images)', () => {
    const kustomization = parse(readRepoFile(`${TREES[m.tree]}/kustomization.yaml`)) as { images: { name: string }[] };
    const named = kustomization.images.map((i) => i.name).sort();
    const expected = [...SERVICES.map((s) => `fulfilment-platform/${s.name}`), ...DATABASE_SERVICES.map((s) => `fulfilment-platform/${s.name}-migrate`), 'fulfilment-platform/tools'];
    expect(named).toEqual(expected.sort());
  });

  it('supplies every Secret a workload reads', () => {
    const supplied = new Set([
      ...m.all('Secret').map((s) => s.metadata.name),
      ...m.all<IExternalSecret>('ExternalSecret').map((e) => e.spec?.target?.name ?? e.metadata.name),
    ]);
    const workloads = [...m.all<IDeployment>('Deployment'), ...m.all<IStatefulSet>('StatefulSet'), ...m.all<IJob>('Job')];
    const missing = workloads.flatMap((w) => secretsOf(w.spec?.template).filter((s) => !supplied.has(s)).map((s) => `${id(w)}: ${s}`));
    expect(missing).toEqual([]);
  });
});

// ---- the dev overlay: the complete platform, Secrets included --------------------------------

const dev = rendered.dev;

describe.each(SERVICES)('dev: service $name', (service) => {
  const deployment = dev.get<IDeployment>('Deployment', service.name);
  const template = deployment.spec?.template;
  const app = container(template, 'app');

  it('listens on its port', () => {
    expect(resolvePort(template, 'http')).toBe(service.port);
    expect(app.env).toContainEqual({ name: 'PORT', value: String(service.port) });
  });

  it('probes /healthz (startup, liveness) and /readyz (readiness); the gateway on its management port', () => {
    expect(app.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(app.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(app.startupProbe?.httpGet?.path).toBe('/healthz');
    for (const probe of [app.livenessProbe, app.readinessProbe, app.startupProbe]) {
      expect(resolvePort(template, probe?.httpGet?.port)).toBe(service.name === 'gateway' ? GATEWAY_MANAGEMENT_PORT : service.port);
    }
  });

  it('sets CPU and memory requests and limits', () => {
    const { requests, limits } = app.resources ?? {};
    expect([requests?.cpu, requests?.memory, limits?.cpu, limits?.memory].every(Boolean)).toBe(true);
  });

  it('caps the V8 heap so that the heap, its young generation and what lives outside it fit the memory limit', () => {
    const limit = /^(\d+)Mi$/.exec(String(app.resources?.limits?.memory ?? ''));
    const cap = /--max-old-space-size=(\d+)/.exec(String(environment(dev, app).NODE_OPTIONS?.value ?? ''));
    expect(limit, 'memory limit in Mi').not.toBeNull();
    expect(cap, 'NODE_OPTIONS --max-old-space-size').not.toBeNull();
    // Young generation 48 MB at most (3 × 16 MB semi-spaces); ~170 MB of RSS is outside the heap (measured, docs/performance.md).
    expect(Number(cap![1]) + 48 + 176).toBeLessThanOrEqual(Number(limit![1]));
    // The development stack and the bench run the services with the same cap.
    expect(Number(cap![1])).toBe(SERVICE_HEAP_MB);
  });

  it('gets the shared ConfigMap and its own (required) Secret through envFrom', () => {
    const configMap = dev.get<IConfigMap>('ConfigMap', 'platform-config');
    expect(app.envFrom).toContainEqual({ configMapRef: { name: configMap.metadata.name } });
    const secretRef = app.envFrom?.find((e) => e.secretRef)?.secretRef;
    expect(secretRef?.name).toBe(`${service.name}-secrets`);
    expect(secretRef?.optional ?? false).toBe(false);
  });

  it('signs in to NATS as its own user, with the password the NATS servers have for it (Secret nats-users)', () => {
    const env = environment(dev, app);
    expect(env.NATS_USER).toMatchObject({ kind: 'Secret', value: service.name });
    expect(env.NATS_PASSWORD?.value).toBe(dataOf(dev, 'Secret', 'nats-users')[`${service.name.toUpperCase()}_NATS_PASSWORD`]);
  });

  if (service.database) {
    it('connects to its database as its own role, with the password PostgreSQL has for it (Secret postgres-service-passwords)', () => {
      const url = new URL(environment(dev, app).DATABASE_URL?.value ?? '');
      expect(url.protocol).toBe('postgresql:');
      expect(url.pathname).toBe(`/${service.database}`);
      expect(url.username).toBe(service.name);
      expect(url.password).toBe(dataOf(dev, 'Secret', 'postgres-service-passwords')[service.name]);
    });
  }

  it('has a ClusterIP Service on its port that selects its pods', () => {
    const svc = dev.get<IService>('Service', service.name);
    expect(svc.spec?.type ?? 'ClusterIP').toBe('ClusterIP');
    expect(svc.spec?.ports?.map((p) => [p.name, p.port, resolvePort(template, p.targetPort)])).toEqual([['http', service.port, service.port]]);
    expect(selectorMatches({ matchLabels: svc.spec?.selector }, template?.metadata?.labels ?? {})).toBe(true);
  });

  it('has a PodDisruptionBudget', () => {
    const pdb = dev.get<IPodDisruptionBudget>('PodDisruptionBudget', service.name);
    expect(selectorMatches(pdb.spec?.selector, template?.metadata?.labels ?? {})).toBe(true);
    expect(pdb.spec?.maxUnavailable ?? pdb.spec?.minAvailable).toBeDefined();
  });

  it('exports its traces to the OpenTelemetry collector of the overlay', () => {
    const url = new URL(environment(dev, app).OTEL_EXPORTER_OTLP_ENDPOINT?.value ?? '');
    const svc = dev.get<IService>('Service', url.hostname);
    expect(svc.spec?.ports?.map((p) => p.port)).toContain(Number(url.port));
    expect(app.env?.find((e) => e.name === 'OTEL_SERVICE_NAME')?.value).toBe(service.name);
  });

  // Registered only where they apply (services that call providers; services with a plain env schema).
  const providers = providerVariables(service.name);
  if (providers.length > 0) {
    it('calls the real provider APIs (URLs from platform-config)', () => {
      const env = environment(dev, app);
      for (const variable of providers.filter((v) => v.urlOf)) {
        expect(env[variable.name], variable.name).toMatchObject({ kind: 'ConfigMap', value: REAL_PROVIDER_URLS[variable.urlOf!] });
      }
    });

    it('gets every provider credential from its Secret, an obviously fake dev value', () => {
      const env = environment(dev, app);
      for (const variable of providers.filter((v) => !v.urlOf)) {
        expect(env[variable.name], variable.name).toMatchObject({ kind: 'Secret', object: `${service.name}-secrets` });
        expect(env[variable.name]?.value, variable.name).toMatch(/^dev-/);
      }
    });
  }

  if (service.name !== 'gateway') {
    it('gets every variable its env schema requires', () => {
      const env = environment(dev, app);
      expect(requiredVariables(service.name).filter((name) => env[name]?.value === undefined)).toEqual([]);
    });
  }

  it('sets no test-only switch and starts without demo data', () => {
    const env = environment(dev, app);
    for (const variable of TEST_ONLY_VARIABLES) expect(env[variable], variable).toBeUndefined();
    for (const variable of Object.keys(DEMO_DATA)) expect([undefined, 'false'], variable).toContain(env[variable]?.value);
    if (service.name === 'orders') expect(env.SEED_DEMO_PRICE_BOOK?.value).toBe('false');
  });
});

describe('dev: Secrets', () => {
  it('generates exactly the Secrets of the contract, under fixed names, marked dev-only', () => {
    const names = dev.all<ISecret>('Secret').map((s) => s.metadata.name).sort();
    expect(names).toEqual([...SERVICES.map((s) => `${s.name}-secrets`), 'nats-users', 'postgres-service-passwords', 'postgres-superuser'].sort());
    for (const s of dev.all<ISecret>('Secret')) expect(s.metadata.annotations?.['fulfilment-platform.dev/dev-only'], s.metadata.name).toBeDefined();
  });

  it('nats-users holds a password for every service, the provisioner and the operator', () => {
    const keys = Object.keys(dataOf(dev, 'Secret', 'nats-users')).sort();
    expect(keys).toEqual([...SERVICES.map((s) => s.name), 'provisioner', 'operator'].map((u) => `${u.toUpperCase()}_NATS_PASSWORD`).sort());
  });

  it('postgres-service-passwords holds a password per database service; postgres-superuser one password', () => {
    expect(Object.keys(dataOf(dev, 'Secret', 'postgres-service-passwords')).sort()).toEqual(DATABASE_SERVICES.map((s) => s.name).sort());
    expect(Object.keys(dataOf(dev, 'Secret', 'postgres-superuser'))).toEqual(['password']);
  });

  it('uses only values that say they are for development', () => {
    const values = dev.all<ISecret>('Secret').flatMap((s) => Object.entries(dataOf(dev, 'Secret', s.metadata.name)).map(([k, v]) => [`${s.metadata.name}/${k}`, v] as const));
    // Not secrets: the NATS user names, and the API keys' hashes (of the dev key).
    const notDev = values.filter(([key, value]) => !(/dev-/.test(value) || key.endsWith('/NATS_USER') || key === 'gateway-secrets/API_KEYS'));
    expect(notDev).toEqual([]);
  });
});

describe('dev: shared configuration', () => {
  const data = dev.get<IConfigMap>('ConfigMap', 'platform-config').data ?? {};

  it('points NATS_URL at the NATS client Service', () => {
    const url = new URL(data.NATS_URL ?? '');
    expect(url.protocol).toBe('nats:');
    expect(dev.get<IService>('Service', url.hostname).spec?.ports?.map((p) => p.port)).toContain(Number(url.port));
  });

  it.each(SERVICES.filter((s) => s.name !== 'gateway'))('points $name URL of the gateway at its Service', (service) => {
    const url = new URL(data[urlVariable(service.name)] ?? '');
    expect(url.hostname).toBe(service.name);
    expect(Number(url.port)).toBe(service.port);
    expect(dev.find('Service', service.name)).toBeDefined();
  });

  it('has an SMTP_URL for notifications', () => {
    expect(data.SMTP_URL).toMatch(/^smtps?:\/\//);
  });
});

describe('dev: gateway', () => {
  const template = dev.get<IDeployment>('Deployment', 'gateway').spec?.template;
  const app = container(template, 'app');
  const env = () => Object.fromEntries(Object.entries(environment(dev, app)).map(([name, source]) => [name, source.value]));

  it('listens on http 8080 (the API) and management 9090 (metrics, docs, probes)', () => {
    expect(app.ports?.map((p) => [p.name, p.containerPort])).toEqual([['http', 8080], ['management', GATEWAY_MANAGEMENT_PORT]]);
    expect(app.env).toContainEqual({ name: 'MANAGEMENT_PORT', value: String(GATEWAY_MANAGEMENT_PORT) });
  });

  it('is published by the Ingress on its http port only', () => {
    const ingress = dev.get<IIngress>('Ingress', 'gateway');
    const backends = (ingress.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []).map((p) => p.backend.service);
    expect(backends).toEqual([{ name: 'gateway', port: { name: 'http' } }]);
    const svc = dev.get<IService>('Service', 'gateway');
    expect(resolvePort(template, svc.spec?.ports?.find((p) => p.name === 'http')?.targetPort)).toBe(8080);
  });

  it('passes its environment schema with NODE_ENV=production (the image sets it), TRUSTED_PROXIES included', () => {
    const parsed = gatewayEnv.safeParse({ ...env(), NODE_ENV: 'production' });
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.TRUSTED_PROXIES.length).toBeGreaterThan(0);
  });

  it('gets API keys as hashes only: the local stack\'s admin key, nothing else', () => {
    expect(environment(dev, app).API_KEYS).toMatchObject({ kind: 'Secret', object: 'gateway-secrets' });
    const keys = apiKeysSchema.parse(env().API_KEYS);
    expect(keys.every((k) => k.key === undefined)).toBe(true);
    const admin = DEVELOPMENT_KEYS.find((k) => k.role === 'admin')!;
    expect(keys.map((k) => [k.role, k.keySha256])).toEqual([['admin', sha256Hex(admin.key!)]]);
  });

  it('shares ORDER_LINK_SECRET with notifications and billing', () => {
    for (const name of ['notifications', 'billing']) {
      const other = environment(dev, container(dev.get<IDeployment>('Deployment', name).spec?.template, 'app'));
      expect(other.ORDER_LINK_SECRET?.value, name).toBe(env().ORDER_LINK_SECRET);
    }
  });

  it.each(['gateway', 'notifications'])('gives %s an https PUBLIC_BASE_URL', (name) => {
    const e = environment(dev, container(dev.get<IDeployment>('Deployment', name).spec?.template, 'app'));
    expect(new URL(e.PUBLIC_BASE_URL?.value ?? '').protocol).toBe('https:');
  });
});

describe('dev: OpenTelemetry collector', () => {
  const deployment = dev.get<IDeployment>('Deployment', 'otel-collector');
  const collector = container(deployment.spec?.template, 'otel-collector');
  const config = parse(dev.get<IConfigMap>('ConfigMap', 'otel-collector-config').data?.['config.yaml'] ?? '') as {
    receivers: { otlp: { protocols: { http: { endpoint: string } } } };
    service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
  };

  it('runs the official image at a pinned version, with its config from a ConfigMap', () => {
    expect(collector.image).toMatch(/^otel\/opentelemetry-collector(-contrib)?:\d+\.\d+\.\d+$/);
    const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.configMap);
    expect(volume?.configMap?.name).toBe(dev.get<IConfigMap>('ConfigMap', 'otel-collector-config').metadata.name);
    const mount = collector.volumeMounts?.find((v) => v.name === volume?.name)?.mountPath;
    expect(collector.args).toEqual([`--config=${mount}/config.yaml`]);
  });

  it('receives OTLP/HTTP on the port the services export to, in a traces pipeline', () => {
    const port = Number(config.receivers.otlp.protocols.http.endpoint.split(':').at(-1));
    const exported = new URL(dev.get<IConfigMap>('ConfigMap', 'platform-config').data?.OTEL_EXPORTER_OTLP_ENDPOINT ?? '');
    const svc = dev.get<IService>('Service', exported.hostname);
    expect(resolvePort(deployment.spec?.template, svc.spec?.ports?.find((p) => p.port === Number(exported.port))?.targetPort)).toBe(port);
    expect(config.service.pipelines.traces.receivers).toContain('otlp');
    expect(config.service.pipelines.traces.exporters.length).toBeGreaterThan(0);
  });
});

describe('dev: operators\' tools', () => {
  const box = dev.get<IDeployment>('Deployment', 'nats-box');
  const natsBox = container(box.spec?.template, 'nats-box');

  it('runs nats-box (official image, pinned) signed in to NATS as operator', () => {
    expect(natsBox.image).toMatch(/^natsio\/nats-box:\d+\.\d+\.\d+$/);
    const env = environment(dev, natsBox);
    expect(env.NATS_USER).toMatchObject({ value: 'operator' });
    expect(env.NATS_PASSWORD).toMatchObject({ kind: 'Secret', object: 'nats-users', value: dataOf(dev, 'Secret', 'nats-users').OPERATOR_NATS_PASSWORD });
    const url = new URL(env.NATS_URL?.value ?? '');
    expect(dev.get<IService>('Service', url.hostname).spec?.ports?.map((p) => p.port)).toContain(Number(url.port));
    expect(box.spec?.template.spec?.automountServiceAccountToken).toBe(false);
  });

  const examples: [string, IPodTemplateSpec | undefined][] = [
    ['the Job example', jobExample.spec?.template],
    ['the kubectl run overrides', { metadata: toolsRunPod().metadata, spec: toolsRunPod().spec }],
  ];

  it.each(examples)('%s is valid, strictly, and secure', async (_name, template) => {
    expect(await schemaProblems(jobExample)).toEqual([]);
    expect(await schemaProblems(toolsRunPod())).toEqual([]);
    expect(securityViolations(template)).toEqual([]);
  });

  it.each(examples)('%s runs an operator command of the tools image, signed in as operator', (_name, template) => {
    const tools = template!.spec!.containers[0]!;
    expect(imageParts(tools.image).name).toBe('fulfilment-platform/tools');
    expect(operatorCommands()).toContain(tools.args?.[0]);
    const env = environment(dev, tools);
    expect(env.NATS_USER?.value).toBe('operator');
    expect(env.NATS_PASSWORD).toMatchObject({ kind: 'Secret', object: 'nats-users', value: dataOf(dev, 'Secret', 'nats-users').OPERATOR_NATS_PASSWORD });
    expect(env.NATS_URL?.value).toBe(dataOf(dev, 'ConfigMap', 'platform-config').NATS_URL);
  });
});

describe('dev: NATS JetStream cluster', () => {
  const sts = dev.get<IStatefulSet>('StatefulSet', 'nats');
  const template = sts.spec?.template;
  const nats = container(template, 'nats');
  const configVolume = template?.spec?.volumes?.find((v) => v.configMap);
  const conf = dev.get<IConfigMap>('ConfigMap', 'nats-config').data?.['nats.conf'] ?? '';

  it('runs 3 replicas of nats 2.10+ with its config from a ConfigMap', () => {
    expect(sts.spec?.replicas).toBe(3);
    expect(nats.image).toMatch(/^nats:2\.(1\d|[2-9]\d)\b/);
    expect(configVolume?.configMap?.name).toBe(dev.get<IConfigMap>('ConfigMap', 'nats-config').metadata.name);
    const mount = nats.volumeMounts?.find((m) => m.name === configVolume?.name);
    expect(nats.args?.join(' ')).toContain(`${mount?.mountPath}/nats.conf`);
  });

  it('enables JetStream with its store on a persistent volume claim template', () => {
    const storeDir = /^jetstream\s*\{[^}]*?\bstore_dir:\s*"?([^\s"]+)"?/m.exec(conf)?.[1];
    expect(storeDir).toBeDefined();
    const claims = (sts.spec?.volumeClaimTemplates ?? []).map((c) => c.metadata?.name);
    expect(claims).toContain(nats.volumeMounts?.find((m) => m.mountPath === storeDir)?.name);
  });

  it('routes the cluster to all members through the headless Service', () => {
    const headless = dev.get<IService>('Service', sts.spec?.serviceName ?? '');
    expect(headless.spec?.clusterIP).toBe('None');
    expect(headless.spec?.publishNotReadyAddresses).toBe(true);
    expect(selectorMatches({ matchLabels: headless.spec?.selector }, template?.metadata?.labels ?? {})).toBe(true);
    const clusterPort = resolvePort(template, 'cluster');
    expect(conf).toMatch(new RegExp(`^cluster\\s*\\{[^}]*\\bport:\\s*${clusterPort}\\b`, 'm'));
    for (let i = 0; i < (sts.spec?.replicas ?? 0); i++) expect(conf).toContain(`nats://nats-${i}.${headless.metadata.name}:${clusterPort}`);
    expect(conf).toMatch(/^server_name:\s*\$POD_NAME\b/m);
    expect(nats.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  });

  it('serves clients on 4222 and monitoring on 8222', () => {
    expect(resolvePort(template, 'client')).toBe(4222);
    expect(resolvePort(template, 'monitor')).toBe(8222);
    expect(conf).toMatch(/^http_port:\s*8222\b/m);
    const client = dev.get<IService>('Service', 'nats');
    expect(client.spec?.clusterIP).not.toBe('None');
    expect(client.spec?.ports?.find((p) => p.port === 4222)).toBeDefined();
    expect(nats.readinessProbe?.httpGet?.port).toBe('monitor');
  });
});

describe('dev: PostgreSQL (single instance, in the base)', () => {
  it('creates the five service databases, the same as docker compose', () => {
    const sql = dev.get<IConfigMap>('ConfigMap', 'postgres-init').data ?? {};
    const databases = Object.values(sql).flatMap(createdDatabases).sort();
    expect(databases).toEqual(DATABASE_SERVICES.map((s) => s.database).sort());
  });

  it.each(DATABASE_SERVICES)('serves the $name DATABASE_URL host and port', (service) => {
    const url = new URL(dataOf(dev, 'Secret', `${service.name}-secrets`).DATABASE_URL ?? '');
    const svc = dev.get<IService>('Service', url.hostname);
    const sts = dev.get<IStatefulSet>('StatefulSet', 'postgres');
    expect(svc.spec?.ports?.map((p) => p.port)).toContain(Number(url.port || 5432));
    expect(selectorMatches({ matchLabels: svc.spec?.selector }, sts.spec?.template.metadata?.labels ?? {})).toBe(true);
  });
});

describe('dev: network policies', () => {
  const policies = dev.all<INetworkPolicy>('NetworkPolicy');
  let podIps = 0;
  const inNamespace = (template: IPodTemplateSpec | undefined): PodEndpoint => ({
    namespace: NAMESPACE,
    namespaceLabels: { 'kubernetes.io/metadata.name': NAMESPACE },
    labels: template?.metadata?.labels ?? {},
    ports: (template?.spec?.containers ?? []).flatMap((c) => c.ports ?? []),
    ip: `10.244.0.${++podIps}`, // the cluster's pod range
  });
  const pod = (name: string) => inNamespace(dev.get<IDeployment>('Deployment', name).spec?.template);
  const nats = inNamespace(dev.get<IStatefulSet>('StatefulSet', 'nats').spec?.template);
  const postgres = inNamespace(dev.get<IStatefulSet>('StatefulSet', 'postgres').spec?.template);
  const collector = pod('otel-collector');
  const natsBox = pod('nats-box');
  const toolsJob = inNamespace(jobExample.spec?.template);
  const toolsRun = inNamespace({ metadata: toolsRunPod().metadata, spec: toolsRunPod().spec });
  const outside = (namespace: string, labels: Record<string, string>): PodEndpoint => ({
    namespace,
    namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
    labels,
    ports: [],
  });
  const prometheus = outside('monitoring', { 'app.kubernetes.io/name': 'prometheus' });
  const stranger = outside('default', { app: 'curl' });
  const kubeDns: PodEndpoint = { ...outside('kube-system', { 'k8s-app': 'kube-dns' }), ports: [{ name: 'dns', containerPort: 53 }], ip: '10.96.0.10' };
  /** A provider API on the internet (documentation address), and a host on the internal network. */
  const internet: ExternalAddress = { ip: '203.0.113.10' };
  const internalHost: ExternalAddress = { ip: '192.168.10.20' };
  const allow = (from: PodEndpoint | typeof EXTERNAL, to: PodEndpoint | ExternalAddress, port: number, protocol = 'TCP') =>
    allowsConnection(policies, from, to, port, protocol);
  const providerCallers = SERVICES.filter((s) => providerVariables(s.name).length > 0).map((s) => s.name);

  it('denies all ingress and all egress by default', () => {
    const denyAll = (type: 'Ingress' | 'Egress') =>
      policies.find((p) => Object.keys(p.spec?.podSelector ?? {}).length === 0 && p.spec?.policyTypes?.includes(type) && !(type === 'Ingress' ? p.spec.ingress : p.spec.egress)?.length);
    expect(denyAll('Ingress')).toBeDefined();
    expect(denyAll('Egress')).toBeDefined();
    expect(allow(stranger, pod('orders'), 8081)).toBe(false);
    expect(allow(pod('gateway'), internet, 443)).toBe(false);
  });

  it('lets anyone reach the gateway\'s API port, and nothing else from outside', () => {
    expect(allow(EXTERNAL, pod('gateway'), 8080)).toBe(true);
    expect(allow(stranger, pod('gateway'), 8080)).toBe(true);
    expect(allow(EXTERNAL, pod('gateway'), GATEWAY_MANAGEMENT_PORT)).toBe(false);
    expect(allow(stranger, pod('gateway'), GATEWAY_MANAGEMENT_PORT)).toBe(false);
    for (const s of SERVICES.filter((x) => x.name !== 'gateway')) expect(allow(EXTERNAL, pod(s.name), s.port)).toBe(false);
    expect(allow(EXTERNAL, nats, 4222)).toBe(false);
    expect(allow(stranger, postgres, 5432)).toBe(false);
    expect(allow(stranger, collector, 4318)).toBe(false);
  });

  it.each(SERVICES.filter((s) => s.name !== 'gateway'))('lets the gateway, and only it, call $name', (service) => {
    expect(allow(pod('gateway'), pod(service.name), service.port)).toBe(true);
    const other = service.name === 'orders' ? 'billing' : 'orders';
    expect(allow(pod(other), pod(service.name), service.port)).toBe(false);
    expect(allow(pod(service.name), pod('gateway'), 8080)).toBe(false);
  });

  it.each(SERVICES)('lets $name reach NATS but not its cluster port, and the OTel collector', (service) => {
    expect(allow(pod(service.name), nats, 4222)).toBe(true);
    expect(allow(pod(service.name), nats, 6222)).toBe(false);
    expect(allow(pod(service.name), collector, 4318)).toBe(true);
  });

  it('lets the NATS members route to each other', () => {
    expect(allow(nats, nats, 6222)).toBe(true);
  });

  it.each(DATABASE_SERVICES)('lets $name (and so its migrate init container) reach PostgreSQL', (service) => {
    expect(allow(pod(service.name), postgres, 5432)).toBe(true);
  });

  it('keeps the gateway, the tools and the collector away from PostgreSQL', () => {
    for (const endpoint of [pod('gateway'), natsBox, toolsJob, toolsRun, collector]) expect(allow(endpoint, postgres, 5432)).toBe(false);
  });

  it('lets nats-box and the tools (Job or kubectl run) reach NATS clients\' port, and nothing else', () => {
    for (const endpoint of [natsBox, toolsJob, toolsRun]) {
      expect(allow(endpoint, nats, 4222)).toBe(true);
      expect(allow(endpoint, nats, 6222)).toBe(false);
      expect(allow(endpoint, pod('orders'), 8081)).toBe(false);
      expect(allow(endpoint, internet, 443)).toBe(false);
    }
  });

  it('lets Prometheus scrape where the PodMonitors point (gateway: management; others: http) and NATS monitoring', () => {
    for (const s of SERVICES) expect(allow(prometheus, pod(s.name), s.name === 'gateway' ? GATEWAY_MANAGEMENT_PORT : s.port)).toBe(true);
    expect(allow(prometheus, nats, 8222)).toBe(true);
    expect(allow(prometheus, postgres, 5432)).toBe(false);
  });

  it('lets every pod resolve names through the cluster DNS', () => {
    for (const endpoint of [...SERVICES.map((s) => pod(s.name)), nats, postgres, natsBox, toolsJob, collector]) {
      expect(allow(endpoint, kubeDns, 53, 'UDP')).toBe(true);
      expect(allow(endpoint, kubeDns, 53, 'TCP')).toBe(true);
    }
  });

  it('the provider-calling services are orders (TikTok Shop), billing, fulfillment, tracking and notifications', () => {
    expect([...providerCallers].sort()).toEqual(['billing', 'fulfillment', 'notifications', 'orders', 'tracking']);
  });

  it.each(SERVICES)('lets $name reach the internet on 443 only if it calls providers', (service) => {
    expect(allow(pod(service.name), internet, 443)).toBe(providerCallers.includes(service.name));
    expect(allow(pod(service.name), internet, 80)).toBe(false);
    expect(allow(pod(service.name), internet, 8443)).toBe(false);
    // 443 is for the internet: not the internal network, not pods in the cluster.
    expect(allow(pod(service.name), internalHost, 443)).toBe(false);
    expect(allow(pod(service.name), pod('gateway'), 443)).toBe(false);
  });

  it('keeps NATS, PostgreSQL and the collector off the internet', () => {
    for (const endpoint of [nats, postgres, collector]) expect(allow(endpoint, internet, 443)).toBe(false);
  });

  it('lets notifications, and only it, reach the SMTP relay of SMTP_URL', () => {
    const smtpPort = Number(new URL(dev.get<IConfigMap>('ConfigMap', 'platform-config').data?.SMTP_URL ?? '').port || 25);
    for (const s of SERVICES) expect(allow(pod(s.name), internet, smtpPort)).toBe(s.name === 'notifications');
  });
});

// ---- the production overlay: the documented example ------------------------------------------

describe('production: the documented example', () => {
  const prod = rendered.production;

  it('has the cluster\'s database outside: no in-cluster PostgreSQL, egress to the database network', () => {
    expect(prod.find('StatefulSet', 'postgres')).toBeUndefined();
    expect(prod.find('Service', 'postgres')).toBeUndefined();
    expect(prod.find('ConfigMap', 'postgres-init')).toBeUndefined();
    const egress = prod.get<INetworkPolicy>('NetworkPolicy', 'services-to-managed-database');
    expect(egress.spec?.egress?.[0]?.ports).toEqual([{ protocol: 'TCP', port: 5432 }]);
  });

  it('gets every Secret from the secret store through an ExternalSecret of the same name, no Secret values', () => {
    expect(prod.all('Secret')).toEqual([]);
    for (const e of prod.all<IExternalSecret>('ExternalSecret')) {
      expect(e.spec?.target?.name).toBe(e.metadata.name);
      expect(e.spec?.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'platform-secrets' });
      expect(e.spec?.dataFrom?.length ?? e.spec?.data?.length).toBeGreaterThan(0);
    }
  });

  it('publishes the gateway on its public host with TLS', () => {
    const ingress = prod.get<IIngress>('Ingress', 'gateway');
    const host = ingress.spec?.rules?.[0]?.host;
    expect(ingress.spec?.tls?.[0]?.hosts).toEqual([host]);
    expect(new URL(prod.get<IConfigMap>('ConfigMap', 'platform-config').data?.PUBLIC_BASE_URL ?? '').host).toBe(host);
  });

  it('scales each service on the lag of exactly its durable consumers (packages/contracts), alongside CPU', () => {
    const headless = prod.get<IService>('Service', prod.get<IStatefulSet>('StatefulSet', 'nats').spec?.serviceName ?? '');
    const monitor = resolvePort(prod.get<IStatefulSet>('StatefulSet', 'nats').spec?.template, 'monitor');
    for (const service of SERVICES) {
      const triggers = prod.get<IScaledObject>('ScaledObject', service.name).spec.triggers;
      const lag = triggers.filter((t) => t.type === 'nats-jetstream').map((t) => t.metadata as Record<string, string>);
      const declared = durableConsumers.filter((c) => c.name.split('--')[0] === service.name).map((c) => [c.stream, c.name]);
      expect(lag.map((t) => [t.stream, t.consumer]).sort(), service.name).toEqual(declared.sort());
      for (const t of lag) {
        expect(t.natsServerMonitoringEndpoint).toBe(`${headless.metadata.name}.${NAMESPACE}.svc.cluster.local:${monitor}`);
        expect(Number(t.lagThreshold)).toBeGreaterThan(0);
      }
      expect(triggers.filter((t) => t.type === 'cpu')).toHaveLength(1);
    }
  });

  it('lets KEDA read the consumers\' lag from the NATS monitoring port', () => {
    const keda: PodEndpoint = { namespace: 'keda', namespaceLabels: { 'kubernetes.io/metadata.name': 'keda' }, labels: { app: 'keda-operator' }, ports: [] };
    const nats: PodEndpoint = {
      namespace: NAMESPACE,
      namespaceLabels: { 'kubernetes.io/metadata.name': NAMESPACE },
      labels: prod.get<IStatefulSet>('StatefulSet', 'nats').spec?.template.metadata?.labels ?? {},
      ports: prod.get<IStatefulSet>('StatefulSet', 'nats').spec?.template.spec?.containers.flatMap((c) => c.ports ?? []) ?? [],
    };
    const policies = prod.all<INetworkPolicy>('NetworkPolicy');
    expect(allowsConnection(policies, keda, nats, 8222)).toBe(true);
    expect(allowsConnection(policies, keda, nats, 4222)).toBe(false);
  });
});
