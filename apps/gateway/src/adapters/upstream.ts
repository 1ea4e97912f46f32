import { DomainError } from '@platform/contracts/errors';
import { createHttpClient } from '@platform/runtime/http-client';
import { PROBLEM_CONTENT_TYPE } from '@platform/contracts/api/problem';
import type { Got, OptionsOfTextResponseBody, Response } from 'got';

/** Headers a service answer carries that the client should see. */
const PASSED_HEADERS = ['content-type', 'location', 'etag', 'retry-after', 'idempotent-replayed'] as const;

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as the service sent it (already serialized JSON). */
  body: string;
}

/**
 * One internal service behind the gateway. Answers (errors included, 503 and 429 with their
 * Retry-After) pass through unchanged; a service that cannot be reached, is too slow, or fails
 * without a problem document becomes a 503/504/502 problem of the gateway's own.
 */
export class Upstream {
  private readonly http: Got;

  constructor(
    readonly name: string,
    baseUrl: string,
    timeoutMs = 5_000,
  ) {
    this.http = createHttpClient({ prefixUrl: baseUrl, timeoutMs, userAgent: 'platform-gateway' });
  }

  /** `path` is the service's own path (`/orders/42`); `x-correlation-id` and `traceparent` come from the flow. */
  async request(path: string, options: OptionsOfTextResponseBody & { requestId: string }): Promise<UpstreamResponse> {
    const { requestId, ...rest } = options;
    let response: Response<string>;
    try {
      response = await this.http(path.replace(/^\//, ''), { ...rest, headers: { ...rest.headers, 'x-request-id': requestId } });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ETIMEDOUT') {
        throw new DomainError('timeout', 'UPSTREAM_TIMEOUT', `The ${this.name} service did not answer in time`);
      }
      throw new DomainError('unavailable', 'UPSTREAM_UNAVAILABLE', `The ${this.name} service is unavailable`);
    }
    const headers: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = response.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    if (response.statusCode >= 500 && !headers['content-type']?.startsWith(PROBLEM_CONTENT_TYPE)) {
      // A bare 503 (a service at capacity or shutting down) stays a 503: the client should retry, not report a bug.
      if (response.statusCode === 503) throw new DomainError('unavailable', 'UPSTREAM_UNAVAILABLE', `The ${this.name} service is unavailable`);
      throw new DomainError('bad_gateway', 'UPSTREAM_FAILED', `The ${this.name} service failed (HTTP ${response.statusCode})`);
    }
    return { status: response.statusCode, headers, body: response.body };
  }
}
