import { createHttpClient } from '@platform/runtime/http-client';
import { failedAnswer, isAccepted, OutcomeUnknownError } from './provider-error';
import { safeJson } from './twilio-sms';

export interface PushSender {
  /** `collapseId`: a repeat with the same id replaces the earlier notification on the device instead of adding one. */
  send(message: { token: string; title: string; body: string; data: Record<string, string>; collapseId: string }): Promise<{ providerMessageId: string }>;
}

export interface FcmConfig {
  apiUrl: string;
  projectId: string;
  accessToken: string;
  timeoutMs?: number;
}

interface FcmAnswer {
  name?: string;
  error?: { code?: number; status?: string; message?: string };
}

/**
 * Push through the FCM HTTP v1 API: `POST /v1/projects/{project}/messages:send` with a Bearer
 * token and `{message: {token, notification: {title, body}, data}}` (data values are strings);
 * 200 with `{name: "projects/…/messages/…"}`. FCM has no way to ask whether it accepted a
 * message, so every push carries a collapse id on each platform (Android notification `tag` and
 * `collapse_key`, APNs `apns-collapse-id`, Web Push `Topic` and `tag`): a resend after a lost
 * outcome replaces the first on the device (docs/notification-delivery.md).
 */
export function createFcmPush(config: FcmConfig): PushSender {
  const http = createHttpClient({ prefixUrl: config.apiUrl, timeoutMs: config.timeoutMs ?? 10_000, userAgent: 'platform-notifications' });
  return {
    async send({ token, title, body, data, collapseId }) {
      const response = await http.post(`v1/projects/${encodeURIComponent(config.projectId)}/messages:send`, {
        json: {
          message: {
            token,
            notification: { title, body },
            data,
            android: { collapse_key: collapseId, notification: { tag: collapseId } },
            apns: { headers: { 'apns-collapse-id': collapseId } },
            webpush: { headers: { Topic: collapseId }, notification: { tag: collapseId } },
          },
        },
        headers: { authorization: `Bearer ${config.accessToken}` },
      });
      const answer = safeJson<FcmAnswer>(response.body);
      if (isAccepted(response.statusCode)) {
        // FCM took the request: without the name it may still deliver; a resend goes under the same collapse id.
        if (!answer?.name) throw new OutcomeUnknownError('fcm', `HTTP ${response.statusCode} without a message name`);
        return { providerMessageId: answer.name };
      }
      const detail = answer?.error ? `${answer.error.status ?? response.statusCode} ${answer.error.message ?? ''}`.trim() : `HTTP ${response.statusCode}`;
      // INVALID_ARGUMENT (400) and UNREGISTERED (404): this token or message will never be accepted.
      throw failedAnswer('fcm', response.statusCode, detail, { permanent: response.statusCode === 400 || response.statusCode === 404, tokenGone: response.statusCode === 404 });
    },
  };
}
