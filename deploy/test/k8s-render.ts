/**
 * The kustomize trees of deploy/k8s rendered with `kubectl kustomize` (client only, no
 * cluster), and lookups over the rendered objects for the tests.
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import type { IContainer, IPodTemplateSpec } from 'kubernetes-models/v1';
import type { K8sObject } from './k8s-schemas';
import { repoRoot } from './platform';

export const NAMESPACE = 'fulfilment';

/** What deploy/k8s renders: the base (no Secrets, no tags) and the two overlays. */
export const TREES = {
  base: 'deploy/k8s/base',
  dev: 'deploy/k8s/overlays/dev',
  production: 'deploy/k8s/overlays/production',
} as const;
export type Tree = keyof typeof TREES;

function render(path: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', path], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    throw new Error(
      code === 'ENOENT'
        ? `kubectl not found: these tests render ${path} with \`kubectl kustomize\` (client only, no cluster)`
        : `kubectl kustomize ${path} failed:\n${stderr ?? String(error)}`,
    );
  }
  return parseAllDocuments(out).flatMap((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    const value = doc.toJS() as K8sObject | null;
    return value ? [value] : [];
  });
}

export const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

/** The rendered objects of one tree, with lookups by kind and name. */
export class Manifests {
  readonly objects: K8sObject[];

  constructor(readonly tree: Tree) {
    this.objects = render(TREES[tree]);
  }

  all<T>(kind: string): (T & K8sObject)[] {
    return this.objects.filter((o) => o.kind === kind) as (T & K8sObject)[];
  }

  /** An object by name; ConfigMaps from generators carry a content-hash suffix. */
  get<T>(kind: string, name: string): T & K8sObject {
    const found = this.find<T>(kind, name);
    if (!found) throw new Error(`expected one ${kind} named ${name} in ${this.tree}`);
    return found;
  }

  find<T>(kind: string, name: string): (T & K8sObject) | undefined {
    const hashed = new RegExp(`^${name}-[a-z0-9]{10}$`);
    const found = this.all<T>(kind).filter((o) => o.metadata.name === name || hashed.test(o.metadata.name));
    if (found.length > 1) throw new Error(`${found.length} objects ${kind}/${name} in ${this.tree}`);
    return found[0];
  }
}

export function container(template: IPodTemplateSpec | undefined, name: string): IContainer {
  const c = [...(template?.spec?.initContainers ?? []), ...(template?.spec?.containers ?? [])].find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
}

/** The container port a probe, Service or policy refers to (by number or by name). */
export function resolvePort(template: IPodTemplateSpec | undefined, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return template?.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === port)?.containerPort;
}

/** Every Secret a pod template reads (envFrom, env valueFrom, volumes). */
export function secretsOf(template: IPodTemplateSpec | undefined): string[] {
  const spec = template?.spec;
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  return [
    ...containers.flatMap((c) => (c.envFrom ?? []).flatMap((e) => (e.secretRef?.name ? [e.secretRef.name] : []))),
    ...containers.flatMap((c) => (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef?.name ? [e.valueFrom.secretKeyRef.name] : []))),
    ...(spec?.volumes ?? []).flatMap((v) => (v.secret?.secretName ? [v.secret.secretName] : [])),
  ];
}

/** Pod Security Standard "restricted" (what the namespace enforces) plus a read-only root fs. */
export function securityViolations(template: IPodTemplateSpec | undefined): string[] {
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
