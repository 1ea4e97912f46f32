/**
 * A small evaluator of Kubernetes NetworkPolicy ingress rules, enough to ask "may pod A open a
 * TCP connection to port P of pod B?" against the rendered manifests. It follows the API
 * semantics: a pod selected by no Ingress policy accepts everything; a selected pod accepts
 * what at least one rule of one selecting policy allows; named ports resolve against the
 * target pod's container ports. ipBlock peers are not modelled (none are used).
 */

export type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface NetworkPolicy {
  metadata: { name?: string; namespace?: string };
  spec?: {
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: {
      from?: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector; ipBlock?: unknown }[];
      ports?: { protocol?: string; port?: number | string; endPort?: number }[];
    }[];
    egress?: unknown[];
  };
}

export interface PodEndpoint {
  namespace: string;
  namespaceLabels: Labels;
  labels: Labels;
  ports: { name?: string; containerPort: number }[];
}

/** Traffic from outside the cluster (load balancer, ingress controller on the host network). */
export const EXTERNAL = 'external' as const;

export function selectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    const ok =
      operator === 'In' ? has && values.includes(labels[key]!)
      : operator === 'NotIn' ? !has || !values.includes(labels[key]!)
      : operator === 'Exists' ? has
      : operator === 'DoesNotExist' ? !has
      : unsupported(`selector operator ${operator}`);
    if (!ok) return false;
  }
  return true;
}

function unsupported(what: string): never {
  throw new Error(`network-policy evaluator: unsupported ${what}`);
}

export function allowsIngress(
  policies: NetworkPolicy[],
  source: PodEndpoint | typeof EXTERNAL,
  target: PodEndpoint,
  port: number,
  protocol = 'TCP',
): boolean {
  const selecting = policies.filter(
    (p) =>
      p.metadata.namespace === target.namespace &&
      (p.spec?.policyTypes ?? ['Ingress']).includes('Ingress') &&
      selectorMatches(p.spec?.podSelector ?? {}, target.labels),
  );
  if (selecting.length === 0) return true;

  return selecting.some((policy) =>
    (policy.spec?.ingress ?? []).some((rule) => {
      const peerOk =
        !rule.from?.length ||
        rule.from.some((peer) => {
          if (peer.ipBlock) unsupported('ipBlock peer');
          if (source === EXTERNAL) return false;
          const namespaceOk = peer.namespaceSelector
            ? selectorMatches(peer.namespaceSelector, source.namespaceLabels)
            : source.namespace === policy.metadata.namespace;
          const podOk = peer.podSelector ? selectorMatches(peer.podSelector, source.labels) : true;
          return namespaceOk && podOk;
        });
      const portOk =
        !rule.ports?.length ||
        rule.ports.some((p) => {
          if ((p.protocol ?? 'TCP') !== protocol) return false;
          if (p.port === undefined) return true;
          if (typeof p.port === 'string') {
            return target.ports.some((cp) => cp.name === p.port && cp.containerPort === port);
          }
          return p.endPort === undefined ? p.port === port : p.port <= port && port <= p.endPort;
        });
      return peerOk && portOk;
    }),
  );
}
