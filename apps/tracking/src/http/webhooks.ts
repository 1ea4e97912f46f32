import { DomainError } from '@platform/runtime/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { aftershipWebhookSchema, seventeenTrackWebhookSchema, webhookAnswerSchema } from '@platform/contracts/api/tracking';
import { parseStorableJson } from '@platform/contracts/api/text';
import type { Database, Transaction } from '../adapters/database';
import { type ApplyOutcome, applyUpdate, lockShipment, type TrackingDeps } from '../application/shipments';
import { fromAftershipTracking, fromSeventeenTrackInfo, type ProviderName, type TrackingUpdate } from '../domain/provider-payloads';
import { bodyDigest, verifyAftership, verifySeventeenTrack } from '../domain/signatures';
import type { TrackingStatus } from '../domain/status';

export interface WebhookSecrets {
  /** 17TRACK signs with the account's API key. */
  seventeenTrackApiKey: string;
  aftershipWebhookSecret: string;
}

/** Provider webhooks carry a shipment's whole scan history; only the newest scan travels on as an event. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

type WebhookOutcome = ApplyOutcome | 'duplicate' | 'ignored';

/** The slice of a zod schema the webhooks use. */
interface BodySchema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
}

function parseBody<T>(raw: Buffer, schema: BodySchema<T>): T {
  let json: unknown;
  try {
    json = parseStorableJson(raw.toString('utf8'));
  } catch {
    throw new DomainError('invalid', 'MALFORMED_JSON', 'Body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => ({ pointer: `/${issue.path.map(String).join('/')}`, detail: issue.message }));
    throw new DomainError('invalid', 'VALIDATION_FAILED', 'Webhook body is invalid', fields);
  }
  return parsed.data;
}

/**
 * Applies one verified webhook: the shipment must exist (404 SHIPMENT_NOT_FOUND otherwise,
 * nothing stored), the receipt key must be new (a replay answers `duplicate` and changes
 * nothing), then the update is applied like a poll answer (stale and backward updates ignored).
 */
async function receive(db: Database, deps: TrackingDeps, provider: ProviderName, receiptKey: string, update: TrackingUpdate): Promise<{ outcome: WebhookOutcome; status: TrackingStatus | null }> {
  return db.$transaction(async (tx: Transaction) => {
    const shipment = await lockShipment(tx, { trackingNumber: update.number });
    if (!shipment) throw new DomainError('not_found', 'SHIPMENT_NOT_FOUND', `No shipment with tracking number ${update.number}`);
    const now = deps.clock.now();
    const claimed = await tx.$executeRaw`
      INSERT INTO webhook_receipts (provider, receipt_key, shipment_id, outcome, received_at)
      VALUES (${provider}, ${receiptKey}, ${shipment.id}::uuid, 'received', ${now})
      ON CONFLICT DO NOTHING`;
    if (claimed === 0) return { outcome: 'duplicate' as const, status: shipment.status as TrackingStatus };
    const result = await applyUpdate(tx, shipment, update, deps);
    await tx.webhookReceipt.update({ where: { provider_receiptKey: { provider, receiptKey } }, data: { outcome: result.outcome } });
    return result;
  });
}

/**
 * `POST /webhooks/17track` and `POST /webhooks/aftership` (the gateway forwards the raw body
 * from `/v1/webhooks/...`). Signatures are computed over the exact bytes, so these routes
 * alone read the body as a Buffer.
 */
export function registerWebhookRoutes(app: PlatformHttpServer, db: Database, deps: TrackingDeps, secrets: WebhookSecrets): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const rawBody = (body: unknown): Buffer => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));
    const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

    scope.post('/webhooks/17track', { schema: { hide: true, response: { 200: webhookAnswerSchema } }, bodyLimit: WEBHOOK_BODY_LIMIT }, async (request) => {
      const raw = rawBody(request.body);
      if (!verifySeventeenTrack(raw, header(request.headers.sign), secrets.seventeenTrackApiKey)) {
        throw new DomainError('unauthorized', 'INVALID_SIGNATURE', 'The sign header does not match the body');
      }
      const body = parseBody(raw, seventeenTrackWebhookSchema);
      // TRACKING_STOPPED only confirms our own stoptrack: nothing to apply.
      if (body.event !== 'TRACKING_UPDATED') return { outcome: 'ignored' as const, status: null };
      return receive(db, deps, '17track', bodyDigest(raw), fromSeventeenTrackInfo(body.data.number, body.data.track_info));
    });

    scope.post('/webhooks/aftership', { schema: { hide: true, response: { 200: webhookAnswerSchema } }, bodyLimit: WEBHOOK_BODY_LIMIT }, async (request) => {
      const raw = rawBody(request.body);
      if (!verifyAftership(raw, header(request.headers['aftership-hmac-sha256']), secrets.aftershipWebhookSecret)) {
        throw new DomainError('unauthorized', 'INVALID_SIGNATURE', 'The aftership-hmac-sha256 header does not match the body');
      }
      const body = parseBody(raw, aftershipWebhookSchema);
      return receive(db, deps, 'aftership', body.event_id, fromAftershipTracking(body.msg));
    });
  });
}
