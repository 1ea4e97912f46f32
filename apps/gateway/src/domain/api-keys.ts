import { createHash, timingSafeEqual } from 'node:crypto';
import { type ApiRole, apiRoleSchema } from '@platform/contracts/api/gateway';
import { z } from 'zod';

export type Role = ApiRole;

/** Who is calling, once their key matched. */
export interface Principal {
  keyId: string;
  role: Role;
  /** Set for customer keys: the only customer whose data the key reaches. */
  customerId?: string;
  /** Set for vendor keys: the only vendor whose sub-orders (and payouts) the key reaches. */
  vendorId?: string;
  /** When the key stops being accepted (a live stream opened with it ends then); none: never. */
  expiresAt?: Date;
}

/**
 * Who may call a route (`ROLES_ALLOWED`): anyone (`public`); a customer, a vendor, or either
 * (`customer-or-vendor`), each then held to its own data by the route's scope; `ops`; `admin`.
 * Ops and admin keys pass every route but admin's, which only admin keys pass.
 */
export type Access = 'public' | Role | 'customer-or-vendor';

export const ROLES_ALLOWED: Readonly<Record<Exclude<Access, 'public'>, readonly Role[]>> = {
  customer: ['customer', 'ops', 'admin'],
  vendor: ['vendor', 'ops', 'admin'],
  'customer-or-vendor': ['customer', 'vendor', 'ops', 'admin'],
  ops: ['ops', 'admin'],
  admin: ['admin'],
};

/** The roles that name a party: their keys carry its id (`customerId`, `vendorId`) and reach only its data. */
const PARTY_FIELD = { customer: 'customerId', vendor: 'vendorId' } as const;

/** One entry of `API_KEYS`: the key in clear (development) or, better, its SHA-256. */
export const apiKeyEntrySchema = z
  .object({
    id: z.string().min(1).max(100),
    key: z.string().min(1).optional(),
    keySha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the hex SHA-256 of the key').optional(),
    role: apiRoleSchema,
    customerId: z.string().min(1).max(100).optional(),
    vendorId: z.string().min(1).max(100).optional(),
    /** ISO 8601; from then on the key is refused and its live streams end (GW-03). */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((entry, context) => {
    if ((entry.key === undefined) === (entry.keySha256 === undefined)) {
      context.addIssue({ code: 'custom', path: ['key'], message: 'give exactly one of key, keySha256' });
    }
    for (const [role, field] of Object.entries(PARTY_FIELD) as [Role, 'customerId' | 'vendorId'][]) {
      if (entry.role === role && !entry[field]) {
        context.addIssue({ code: 'custom', path: [field], message: `is required for a ${role} key` });
      }
      if (entry.role !== role && entry[field]) {
        context.addIssue({ code: 'custom', path: [field], message: `only ${role} keys name a ${role}` });
      }
    }
  });
export type ApiKeyEntry = z.infer<typeof apiKeyEntrySchema>;

/** `API_KEYS`: a JSON array of entries with distinct ids and distinct keys. */
export const apiKeysSchema = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be a JSON array of {id, key | keySha256, role, customerId?, vendorId?}' });
      return z.NEVER;
    }
  })
  .pipe(z.array(apiKeyEntrySchema).min(1))
  .superRefine((entries, context) => {
    const ids = new Set<string>();
    const hashes = new Set<string>();
    for (const [index, entry] of entries.entries()) {
      if (entry.key === undefined && entry.keySha256 === undefined) continue; // already reported
      const hash = hashOf(entry);
      if (ids.has(entry.id)) context.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate key id ${entry.id}` });
      if (hashes.has(hash)) context.addIssue({ code: 'custom', path: [index], message: `key ${entry.id} repeats another key` });
      ids.add(entry.id);
      hashes.add(hash);
    }
  });

/** Keys the gateway accepts when `API_KEYS` is unset outside production (documented in the README). */
export const DEVELOPMENT_KEYS: ApiKeyEntry[] = [
  { id: 'dev-admin', key: 'dev-admin-key', role: 'admin' },
  { id: 'dev-ops', key: 'dev-ops-key', role: 'ops' },
  { id: 'dev-customer', key: 'dev-customer-key', role: 'customer', customerId: 'cust-demo' },
  { id: 'dev-vendor', key: 'dev-vendor-key', role: 'vendor', vendorId: 'acme' },
];

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function hashOf(entry: ApiKeyEntry): string {
  return (entry.keySha256 ?? sha256Hex(entry.key!)).toLowerCase();
}

/**
 * The accepted keys, held as SHA-256 digests. A presented key is hashed and compared with
 * every digest in constant time, so neither the answer time nor the order of the entries
 * tells an attacker how close a guess was or which key it matched.
 */
export class ApiKeyring {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(
    entries: ApiKeyEntry[],
    /** The gateway's clock (keys with `expiresAt`); tests move it. */
    private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {
    this.entries = entries.map((entry) => ({
      digest: Buffer.from(hashOf(entry), 'hex'),
      principal: {
        keyId: entry.id,
        role: entry.role,
        ...(entry.customerId && { customerId: entry.customerId }),
        ...(entry.vendorId && { vendorId: entry.vendorId }),
        ...(entry.expiresAt && { expiresAt: new Date(entry.expiresAt) }),
      },
    }));
  }

  /** The key's caller, while the key is valid (by the keyring's clock). */
  identify(presented: string): Principal | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let match: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest)) match = entry.principal;
    }
    return match && keyStillValid(match, this.clock.now()) ? match : undefined;
  }
}

/** Whether the caller's key is still accepted at `now` (a live stream asks at every heartbeat). */
export function keyStillValid(principal: Principal, now: Date): boolean {
  return principal.expiresAt === undefined || principal.expiresAt.getTime() > now.getTime();
}

/** The key from `Authorization: Bearer <key>` or `X-Api-Key: <key>`; undefined when neither is there. */
export function presentedKey(headers: { authorization?: string; 'x-api-key'?: string | string[] }): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const header = headers['x-api-key'];
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  return value || undefined;
}

/** Whether a caller may use a route: `unauthenticated` (401) without a valid key, `forbidden` (403) when its role is not allowed. */
export function checkAccess(access: Access, principal: Principal | undefined): 'allowed' | 'unauthenticated' | 'forbidden' {
  if (access === 'public') return 'allowed';
  if (!principal) return 'unauthenticated';
  return ROLES_ALLOWED[access].includes(principal.role) ? 'allowed' : 'forbidden';
}

/** A customer key only reaches its own customer's data, a vendor key no customer's; ops and admin reach everyone's. */
export function mayActFor(principal: Principal | undefined, customerId: string | undefined): boolean {
  if (principal?.role === 'vendor') return false;
  if (principal?.role !== 'customer') return true;
  return customerId !== undefined && customerId === principal.customerId;
}

/**
 * `x-actor` / `x-actor-role` for the services: `customer:<customerId>`, `vendor:<vendorId>`,
 * `ops:<keyId>`, `admin:<keyId>`; none for anonymous callers.
 */
export function actorHeaders(principal: Principal | undefined): Record<string, string> {
  if (!principal) return {};
  const who = principal.role === 'customer' ? principal.customerId! : principal.role === 'vendor' ? principal.vendorId! : principal.keyId;
  return { 'x-actor': `${principal.role}:${who}`, 'x-actor-role': principal.role };
}
