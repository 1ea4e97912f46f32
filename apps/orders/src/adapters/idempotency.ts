import { createHash } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import type { Database, Transaction } from './database';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export function requestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/**
 * Which key: the operation (`scope`), who sent it (`caller`, the actor's name) and the key
 * itself. Keys are per caller, as payment APIs keep them per account, so one caller's key
 * neither blocks nor reveals another's.
 */
export interface IdempotencyKeyId {
  scope: string;
  caller: string;
  key: string;
}

/**
 * Claims the key inside the caller's transaction. A concurrent request with the same key
 * blocks on the primary key until this transaction ends, then sees its stored answer.
 * Returns the earlier answer to replay, or null when this request owns the key.
 */
export async function claimIdempotencyKey(tx: Transaction, id: IdempotencyKeyId, hash: string): Promise<StoredResponse | null> {
  const { scope, caller, key } = id;
  const claimed = await tx.$executeRaw`
    INSERT INTO idempotency_keys (scope, caller, key, request_hash) VALUES (${scope}, ${caller}, ${key}, ${hash})
    ON CONFLICT DO NOTHING`;
  if (claimed === 1) return null;
  const existing = await tx.idempotencyKey.findUniqueOrThrow({ where: { scope_caller_key: id } });
  if (existing.requestHash !== hash) {
    throw new DomainError(
      'unprocessable',
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used with a different request body',
      [{ pointer: '/headers/idempotency-key', detail: 'reused with a different body' }],
    );
  }
  if (existing.responseStatus === null) {
    throw new DomainError('conflict', 'IDEMPOTENT_REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is still in progress');
  }
  return { status: existing.responseStatus, body: existing.responseBody };
}

export async function storeIdempotentResponse(tx: Transaction, id: IdempotencyKeyId, response: StoredResponse): Promise<void> {
  await tx.$executeRaw`
    UPDATE idempotency_keys SET response_status = ${response.status}, response_body = ${JSON.stringify(response.body)}::jsonb
    WHERE scope = ${id.scope} AND caller = ${id.caller} AND key = ${id.key}`;
}

/** Keys are honoured for a day (clients retry within minutes); then they and their stored answers go. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

export async function deleteExpiredIdempotencyKeys(db: Database): Promise<void> {
  await db.$executeRaw`
    DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`;
}
