/**
 * A small evaluator of Kubernetes NetworkPolicy rules, enough to ask "may pod A open a TCP
 * connection to port P of pod B (or of an address outside the cluster)?" against the rendered
 * manifests. It follows the API semantics: a pod selected by no policy of a direction (Ingress,
 * Egress) is open in that direction; a selected pod allows what at least one rule of one
 * selecting policy allows; a connection needs the source's egress and the target's ingress;
 * named ports resolve against the target pod's container ports; ipBlock peers match addresses
 * (pods carry the address the test gives them, outside addresses have no pod).
 */

export type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { protocol?: string; port?: number | string; endPort?: number }[];
}

export interface NetworkPolicy {
  metadata: { name?: string; namespace?: string };
  spec?: {
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: Rule[];
    egress?: Rule[];
  };
}

export interface PodEndpoint {
  namespace: string;
  namespaceLabels: Labels;
  labels: Labels;
  ports: { name?: string; containerPort: number }[];
  /** The pod's IP address, for ipBlock peers (cluster pod range). */
  ip?: string;
}

/** An address outside the cluster, e.g. a provider's API. */
export interface ExternalAddress {
  ip: string;
}

/** Traffic from outside the cluster (load balancer, ingress controller on the host network). */
export const EXTERNAL = 'external' as const;

type Source = PodEndpoint | typeof EXTERNAL;
type Target = PodEndpoint | ExternalAddress;

const isPod = (endpoint: Source | Target): endpoint is PodEndpoint => typeof endpoint === 'object' && 'namespace' in endpoint;

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

function ipv4(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  return parts.reduce((n, part) => n * 256 + Number(part), 0);
}

/** Whether `ip` lies in `cidr`. IPv4 addresses only; an IPv6 block never holds one. */
export function inCidr(ip: string, cidr: string): boolean {
  const address = ipv4(ip) ?? unsupported(`address ${ip} (IPv4 only)`);
  const [base = '', bits = ''] = cidr.split('/');
  if (base.includes(':')) return false;
  const network = ipv4(base) ?? unsupported(`CIDR ${cidr}`);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(address / size) === Math.floor(network / size);
}

function peerMatches(peer: Peer, policyNamespace: string | undefined, endpoint: Source | Target): boolean {
  if (peer.ipBlock) {
    const ip = endpoint === EXTERNAL ? undefined : endpoint.ip;
    return ip !== undefined && inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(ip, c));
  }
  if (!isPod(endpoint)) return false;
  const namespaceOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, endpoint.namespaceLabels)
    : endpoint.namespace === policyNamespace;
  const podOk = peer.podSelector ? selectorMatches(peer.podSelector, endpoint.labels) : true;
  return namespaceOk && podOk;
}

function portMatches(rule: Rule, target: Target, port: number, protocol: string): boolean {
  return (
    !rule.ports?.length ||
    rule.ports.some((p) => {
      if ((p.protocol ?? 'TCP') !== protocol) return false;
      if (p.port === undefined) return true;
      if (typeof p.port === 'string') {
        return isPod(target) && target.ports.some((cp) => cp.name === p.port && cp.containerPort === port);
      }
      return p.endPort === undefined ? p.port === port : p.port <= port && port <= p.endPort;
    })
  );
}

/** What the policies of `subject`'s namespace that select it say about talking to `peer`. */
function allowedBy(
  policies: NetworkPolicy[],
  direction: 'Ingress' | 'Egress',
  subject: PodEndpoint,
  peer: Source | Target,
  target: Target,
  port: number,
  protocol: string,
): boolean {
  const selecting = policies.filter(
    (p) =>
      p.metadata.namespace === subject.namespace &&
      (p.spec?.policyTypes ?? (p.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress'])).includes(direction) &&
      selectorMatches(p.spec?.podSelector ?? {}, subject.labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    ((direction === 'Ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? []).some((rule) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const peerOk = !peers?.length || peers.some((p) => peerMatches(p, policy.metadata.namespace, peer));
      return peerOk && portMatches(rule, target, port, protocol);
    }),
  );
}

/** Whether `target` accepts the connection (its ingress policies). */
export function allowsIngress(policies: NetworkPolicy[], source: Source, target: PodEndpoint, port: number, protocol = 'TCP'): boolean {
  return allowedBy(policies, 'Ingress', target, source, target, port, protocol);
}

/** Whether `source` may open the connection (its egress policies); traffic from outside is not governed here. */
export function allowsEgress(policies: NetworkPolicy[], source: Source, target: Target, port: number, protocol = 'TCP'): boolean {
  return source === EXTERNAL || allowedBy(policies, 'Egress', source, target, target, port, protocol);
}

/** Whether the connection goes through: the source may send and the target (a pod) accepts. */
export function allowsConnection(policies: NetworkPolicy[], source: Source, target: Target, port: number, protocol = 'TCP'): boolean {
  return (
    allowsEgress(policies, source, target, port, protocol) &&
    (!isPod(target) || allowsIngress(policies, source, target, port, protocol))
  );
}
