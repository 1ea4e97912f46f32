import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { aftershipWebhookSchema, seventeenTrackWebhookSchema, webhookAnswerSchema } from '@platform/contracts/api/tracking';
import { parseStorableJson } from '@platform/contracts/api/text';
import type { Database, TrackingDeps } from '../application/shipments';
import { receiveWebhook } from '../application/webhooks';
import { fromAftershipTracking, fromSeventeenTrackInfo } from '../domain/provider-payloads';
import { bodyDigest, verifyAftership, verifySeventeenTrack } from '../domain/signatures';

export interface WebhookSecrets {
  /** 17TRACK signs with the account's API key. */
  seventeenTrackApiKey: string;
  aftershipWebhookSecret: string;
}

/** Provider webhooks carry a shipment's whole scan history; only the newest scan travels on as an event. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

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
      return receiveWebhook(db, deps, '17track', bodyDigest(raw), fromSeventeenTrackInfo(body.data.number, body.data.track_info));
    });

    scope.post('/webhooks/aftership', { schema: { hide: true, response: { 200: webhookAnswerSchema } }, bodyLimit: WEBHOOK_BODY_LIMIT }, async (request) => {
      const raw = rawBody(request.body);
      if (!verifyAftership(raw, header(request.headers['aftership-hmac-sha256']), secrets.aftershipWebhookSecret)) {
        throw new DomainError('unauthorized', 'INVALID_SIGNATURE', 'The aftership-hmac-sha256 header does not match the body');
      }
      const body = parseBody(raw, aftershipWebhookSchema);
      return receiveWebhook(db, deps, 'aftership', body.event_id, fromAftershipTracking(body.msg));
    });
  });
}
