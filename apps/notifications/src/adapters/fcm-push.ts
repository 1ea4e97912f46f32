import { createHttpClient } from '@platform/config';
import { ProviderError } from './provider-error';
import { safeJson } from './twilio-sms';

export interface PushSender {
  send(message: { token: string; title: string; body: string; data: Record<string, string> }): Promise<{ providerMessageId: string }>;
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
 * 200 with `{name: "projects/…/messages/…"}`.
 */
export function createFcmPush(config: FcmConfig): PushSender {
  const http = createHttpClient({ prefixUrl: config.apiUrl, timeoutMs: config.timeoutMs ?? 10_000, userAgent: 'platform-notifications' });
  return {
    async send({ token, title, body, data }) {
      const response = await http.post(`v1/projects/${encodeURIComponent(config.projectId)}/messages:send`, {
        json: { message: { token, notification: { title, body }, data } },
        headers: { authorization: `Bearer ${config.accessToken}` },
      });
      const answer = safeJson<FcmAnswer>(response.body);
      if (response.statusCode === 200) {
        if (!answer?.name) throw new ProviderError('fcm', 'answer without a message name', false);
        return { providerMessageId: answer.name };
      }
      const detail = answer?.error ? `${answer.error.status ?? response.statusCode} ${answer.error.message ?? ''}`.trim() : `HTTP ${response.statusCode}`;
      // INVALID_ARGUMENT (400) and UNREGISTERED (404): this token or message will never be accepted.
      throw new ProviderError('fcm', detail, response.statusCode === 400 || response.statusCode === 404);
    },
  };
}
