import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { z } from 'zod';
import { type ReceiptDeps, recordDeliveryReceipt } from '../application/receipts';
import { isTwilioSignatureValid, receiptOf } from '../domain/twilio-signature';

export interface TwilioWebhookDeps extends ReceiptDeps {
  authToken: string;
  /** The callback URL sent with every SMS (TWILIO_STATUS_CALLBACK_URL); unset = no receipts expected. */
  statusCallbackUrl: string | undefined;
}

const ackSchema = z.object({ received: z.literal(true), applied: z.boolean() });

/**
 * `POST /webhooks/twilio?notification=<id>`: an SMS's status callback, form-encoded and signed
 * (`X-Twilio-Signature`) over the URL Twilio requested: our configured callback URL with this
 * request's query. Checked before anything is read; a bad signature is refused (403) and changes
 * nothing. `delivered` (or `read`) marks the SMS delivered, `undelivered`/`failed` failed, only
 * forwards (`recordDeliveryReceipt`); interim statuses are acknowledged and ignored.
 */
export function registerTwilioWebhook(app: PlatformHttpServer, deps: TwilioWebhookDeps): void {
  // Fastify loads registered plugins before it listens (or on inject), so the build stays synchronous.
  void app.register(async (scope) => {
    // Only in this scope: the form arrives as the untouched string the signature covers.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post('/webhooks/twilio', { schema: { response: { 200: ackSchema } } }, async (request) => {
      if (!deps.statusCallbackUrl) throw new DomainError('not_found', 'NO_STATUS_CALLBACKS', 'This platform asks Twilio for no status callbacks');
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const signedUrl = new URL(deps.statusCallbackUrl);
      signedUrl.search = query;
      const params = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
      const header = request.headers['x-twilio-signature'];
      if (!isTwilioSignatureValid(deps.authToken, signedUrl.toString(), params, Array.isArray(header) ? header[0] : header)) {
        throw new DomainError('forbidden', 'INVALID_SIGNATURE', 'The X-Twilio-Signature does not match this request');
      }
      const notificationId = z.uuid().safeParse(signedUrl.searchParams.get('notification'));
      if (!notificationId.success) throw new DomainError('invalid', 'NO_NOTIFICATION', 'The callback URL names no notification', [{ pointer: '/query/notification', detail: 'must be a notification id' }]);
      const outcome = receiptOf(params.get('MessageStatus'));
      if (!outcome) return { received: true as const, applied: false };
      const errorCode = params.get('ErrorCode');
      const detail = outcome === 'failed' ? `twilio ${params.get('MessageStatus')}${errorCode ? ` (error ${errorCode})` : ''}` : null;
      const applied = await recordDeliveryReceipt(deps, notificationId.data, { outcome, detail });
      request.log.info({ notificationId: notificationId.data, messageSid: params.get('MessageSid'), messageStatus: params.get('MessageStatus'), applied }, 'twilio status callback');
      return { received: true as const, applied };
    });
  });
}
