import { type ApiRole, apiRoleSchema } from '@platform/contracts/api/gateway';

/**
 * Who is calling, as the gateway names the caller it authenticated (`x-actor`: `customer:<id>`,
 * `vendor:<id>`, `ops:<key>` or `admin:<key>`, and `x-actor-role`). No role = an internal caller
 * (another service, a test, ops tooling inside the network).
 */
export interface Actor {
  /** For history, events and logs: the `x-actor` header, else the role, else `system`. */
  name: string;
  role: ApiRole | null;
  /** Set for a customer actor. */
  customerId: string | null;
  /** Set for a vendor actor: the only vendor whose sub-orders (and payouts) it reaches. */
  vendorId: string | null;
}

/** The part of a request the actor is read from (Fastify's request has it). */
interface WithHeaders {
  headers: Record<string, string | string[] | undefined>;
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The id after `<role>:` in `x-actor`, for the roles that name a party. */
function partyOf(name: string, role: 'customer' | 'vendor', actual: ApiRole | null): string | null {
  return actual === role && name.startsWith(`${role}:`) ? name.slice(role.length + 1) : null;
}

/** The caller of `request`, from the headers the gateway sets; the only place services read them. */
export function actorOf(request: WithHeaders): Actor {
  const parsed = apiRoleSchema.safeParse(single(request.headers['x-actor-role']));
  const role = parsed.success ? parsed.data : null;
  const name = single(request.headers['x-actor'])?.trim() || (role ?? 'system');
  return { name, role, customerId: partyOf(name, 'customer', role), vendorId: partyOf(name, 'vendor', role) };
}
