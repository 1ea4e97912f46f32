import { createHttpClient } from '@platform/runtime/http-client';
import type { AutomationScenario } from '@platform/contracts';
import type { AutomationPayload } from '@platform/contracts/api/fulfillment';

export interface DeviceAutomationRequest {
  /** Our step id: the device system runs one automation per reference, so a repeated call is recognised. */
  reference: string;
  scenario: AutomationScenario;
  payload: AutomationPayload;
  timeoutMs: number;
}

/** What one call ended in: done (with the device system's id), or why not (a refusal, an outage, no answer in time). */
export type DeviceAutomationResult = { outcome: 'done'; externalId: string } | { outcome: 'failed'; error: string };

/** The device/asset system (docs/providers/devices.md). */
export interface DeviceSystem {
  runAutomation(request: DeviceAutomationRequest): Promise<DeviceAutomationResult>;
}

/**
 * The device system over HTTP: `POST automations` with our reference as `Idempotency-Key`.
 * Every failure is an answer here, not an exception: the step's retry policy decides what
 * follows (a 4xx refusal and a 5xx or timeout alike count as a failed attempt).
 */
export function createDeviceSystem(options: { baseUrl: string; apiKey: string }): DeviceSystem {
  const http = createHttpClient({ prefixUrl: options.baseUrl, userAgent: 'platform-fulfillment' });
  return {
    async runAutomation({ reference, scenario, payload, timeoutMs }) {
      try {
        const response = await http.post('automations', {
          headers: { authorization: `Bearer ${options.apiKey}`, 'idempotency-key': reference },
          json: { reference, scenario, ...payload },
          timeout: { request: timeoutMs },
          responseType: 'json',
        });
        const body = (response.body ?? {}) as { id?: unknown; status?: unknown; error?: { code?: unknown; message?: unknown } };
        if (response.statusCode < 300 && typeof body.id === 'string' && body.status === 'completed') return { outcome: 'done', externalId: body.id };
        const reason = body.error ? `${String(body.error.code)}: ${String(body.error.message)}` : `status ${String(body.status ?? 'unknown')}`;
        return { outcome: 'failed', error: `device system answered HTTP ${response.statusCode} (${reason})` };
      } catch (error) {
        // No answer (timeout, refused connection) or a body that is not JSON.
        return { outcome: 'failed', error: `device system unreachable: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}
