import { createHttpClient } from '@platform/runtime/http-client';
import { ProviderError } from './provider-error';
import { safeJson } from './twilio-sms';

/** Asks the mail relay whether it received a message; used only when an earlier attempt's outcome was lost. */
export interface EmailLookup {
  wasReceived(messageId: string): Promise<boolean>;
}

/**
 * Mailpit's search API, `GET /api/v1/search?query=message-id:<id>` (`messages_count` = matches):
 * answered by Mailpit (compose) and by the devstack SMTP sink. A production relay usually has
 * nothing like it; then EMAIL_LOOKUP_URL stays unset and EMAIL_UNKNOWN_OUTCOME decides
 * (docs/notification-delivery.md).
 */
export function createMailpitLookup(baseUrl: string, timeoutMs = 5_000): EmailLookup {
  const http = createHttpClient({ prefixUrl: baseUrl, timeoutMs, userAgent: 'platform-notifications' });
  return {
    async wasReceived(messageId) {
      const bare = messageId.replace(/^<(.*)>$/, '$1');
      const response = await http.get('api/v1/search', { searchParams: { query: `message-id:"${bare}"`, limit: 1 } });
      const answer = safeJson<{ messages_count?: number }>(response.body);
      if (response.statusCode !== 200 || typeof answer?.messages_count !== 'number') throw new ProviderError('smtp', `message lookup answered HTTP ${response.statusCode}`, false);
      return answer.messages_count > 0;
    },
  };
}
