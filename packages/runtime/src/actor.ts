import type { ApiRole } from '@platform/contracts/api/gateway';

/**
 * Who is calling, as the gateway names the caller it authenticated (`x-actor`: `customer:<id>`,
 * `ops:<key>` or `admin:<key>`, and `x-actor-role`). No role = an internal caller (another
 * service, a test, ops tooling inside the network).
 */
export interface Actor {
  /** For history, events and logs: the `x-actor` header, else the role, else `system`. */
  name: string;
  role: ApiRole | null;
  /** Set for a customer actor. */
  customerId: string | null;
}

/** The part of a request the actor is read from (Fastify's request has it). */
interface WithHeaders {
  headers: Record<string, string | string[] | undefined>;
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The caller of `request`, from the headers the gateway sets; the only place services read them. */
export function actorOf(request: WithHeaders): Actor {
  const roleHeader = single(request.headers['x-actor-role']);
  const role = roleHeader === 'customer' || roleHeader === 'ops' || roleHeader === 'admin' ? roleHeader : null;
  const name = single(request.headers['x-actor'])?.trim() || (role ?? 'system');
  const customerId = role === 'customer' && name.startsWith('customer:') ? name.slice('customer:'.length) : null;
  return { name, role, customerId };
}
