import { DomainError } from '@platform/contracts/errors';
import { ifMatchSchema } from '@platform/contracts/api/orders';

/** The part of a request these helpers read (Fastify's request has it). */
interface WithHeaders {
  headers: Record<string, string | string[] | undefined>;
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The version in `If-Match: "<version>"`, or undefined without the header. */
export function ifMatchVersion(request: WithHeaders): number | undefined {
  const header = single(request.headers['if-match']);
  if (header === undefined) return undefined;
  const parsed = ifMatchSchema.safeParse(header.trim());
  if (!parsed.success) {
    throw new DomainError('invalid', 'VALIDATION_FAILED', 'Request is invalid', [
      { pointer: '/headers/if-match', detail: parsed.error.issues[0]?.message ?? 'is invalid' },
    ]);
  }
  return Number(parsed.data.slice(1, -1));
}

/** A strong ETag of the order version, what `If-Match` takes back. */
export const etagOf = (order: { version: number }) => `"${order.version}"`;
