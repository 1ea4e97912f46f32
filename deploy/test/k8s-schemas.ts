/**
 * Validates rendered Kubernetes objects against their API schemas, strictly: a field the schema
 * does not declare is an error, as `kubectl apply --validate=strict` makes it on a real API
 * server (without it the server drops the field silently: a typo such as `imagePulPolicy`
 * would just not apply).
 *
 * The schemas are those of the kubernetes-models packages: the Kubernetes API itself, and the
 * CRDs the manifests use (Prometheus Operator's PodMonitor, KEDA's ScaledObject, External
 * Secrets' ExternalSecret), each package generated from its project's published API types.
 * Their compiled validators check types, required fields and formats but let unknown fields
 * through (the CRD schemas do not forbid them, and the core ones leave that to the server).
 * So the object is validated through a proxy that records which properties the validator looks
 * up: a validator reads every property its schema declares (present or not), so a property of
 * an object that it never read is unknown. A free-form object (a schema without properties,
 * e.g. `x-kubernetes-preserve-unknown-fields`) is one the validator reads nothing of, and is
 * left alone; maps (labels, ConfigMap data) are read key by key, so they pass too.
 */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** Where each API group's models come from. */
const PACKAGES: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'keda.sh': '@kubernetes-models/keda',
  'external-secrets.io': '@kubernetes-models/external-secrets',
};

type ModelClass = { new (data: object): { validate(): void }; prototype: { validate(): void }; apiVersion: string; kind: string };

/** The model class for apiVersion/kind, or undefined when no package knows the kind. */
export async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  const from = PACKAGES[group] ?? 'kubernetes-models';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ `${from}/${apiVersion}`)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const Found = mod[kind] as ModelClass | undefined;
  return typeof Found === 'function' && Found.apiVersion === apiVersion && Found.kind === kind ? Found : undefined;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Wraps `value` so that every property read of every nested object is recorded in `reads`. */
function recording(value: Json, reads: WeakMap<object, Set<PropertyKey>>, proxies: WeakMap<object, object>): Json {
  if (value === null || typeof value !== 'object') return value;
  const known = proxies.get(value);
  if (known) return known as Json;
  reads.set(value, new Set());
  const proxy = new Proxy(value, {
    get(target, key, receiver) {
      reads.get(target)!.add(key);
      const child = Reflect.get(target, key, receiver) as Json;
      return recording(child, reads, proxies);
    },
    has(target, key) {
      reads.get(target)!.add(key);
      return Reflect.has(target, key);
    },
  });
  proxies.set(value, proxy);
  return proxy as Json;
}

/** JSON paths (`/spec/template/...`) of the properties the validator never read. */
function unread(value: Json, reads: WeakMap<object, Set<PropertyKey>>, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unread(item, reads, `${path}/${i}`));
  const read = reads.get(value);
  if (!read || read.size === 0) return []; // never looked into: free-form, or not reached
  return Object.entries(value).flatMap(([key, child]) =>
    read.has(key) ? unread(child, reads, `${path}/${key}`) : [`${path}/${key}`],
  );
}

/** What is wrong with `object`: schema violations and unknown fields; empty when it is valid. */
export async function schemaProblems(object: K8sObject): Promise<string[]> {
  const Found = await modelFor(object.apiVersion, object.kind);
  if (!Found) return [`unknown kind ${object.kind} for apiVersion ${object.apiVersion}`];
  const data = JSON.parse(JSON.stringify(object)) as Json & { data?: Record<string, string> };
  // kustomize wraps a long Secret value's base64 over lines; the API server's decoder skips
  // line breaks, the schema's "byte" format does not.
  if (object.kind === 'Secret' && data.data) {
    for (const key of Object.keys(data.data)) data.data[key] = data.data[key]!.replace(/[\r\n]/g, '');
  }
  const reads = new WeakMap<object, Set<PropertyKey>>();
  const problems: string[] = [];
  try {
    // The model's validate() runs its compiled schema on `this`: here, the recording proxy.
    Found.prototype.validate.call(recording(data, reads, new WeakMap()));
  } catch (error) {
    problems.push((error as Error).message);
  }
  return [...problems, ...unread(data, reads).map((path) => `unknown field ${path}`)];
}
