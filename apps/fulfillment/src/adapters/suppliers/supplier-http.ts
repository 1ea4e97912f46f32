import { performance } from 'node:perf_hooks';
import type { createHttpClient } from '@platform/runtime/http-client';
import type { SupplierName } from '@platform/contracts';
import { type RecordSupplierCall, type SupplierCall, SupplierUnavailableError } from './supplier-client';

export type HttpClient = ReturnType<typeof createHttpClient>;

export interface SupplierRequest {
  operation: SupplierCall['operation'];
  reference: string | null;
  method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the supplier's base URL (no leading slash: the client has a `prefixUrl`). */
  path: string;
  headers?: Record<string, string>;
  searchParams?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
}

export interface SupplierAnswer {
  status: number;
  body: unknown;
}

/** How an adapter reads a non-5xx answer, for the call log. */
export interface Verdict {
  outcome: SupplierCall['outcome'];
  error?: string | null;
}

const REDACTED = '[REDACTED]';
/** Field and header names that carry credentials in any supplier's requests or answers. */
const SENSITIVE_KEY = /token|secret|session|password|authorization|api[-_]?key/i;

/**
 * A copy of `value` safe to store in the call log: credential fields blanked by name, and
 * any known secret blanked wherever it appears inside a string (URLs, form bodies).
 */
export function redact(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') {
    return secrets.reduce((text, secret) => (secret ? text.replaceAll(secret, REDACTED) : text), value);
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, SENSITIVE_KEY.test(key) && item != null && item !== '' ? REDACTED : redact(item, secrets)]),
    );
  }
  return value;
}

/**
 * Parses a JSON answer, keeping integers beyond 2^53 exact as strings (AliExpress order ids
 * are 16+ digit numbers). A body that is not JSON is kept as text for the log.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
  } catch {
    return text;
  }
}

/** Connection errors that mean no byte of the request reached the supplier: it was not refused, it was never seen. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether `error` (from `SupplierHttp.send`) says the request never reached the supplier: no
 * connection was made. A timeout or a reset says nothing of the kind: the supplier may have
 * received the request, and counted it.
 */
export function neverReachedSupplier(error: unknown): boolean {
  if (!(error instanceof SupplierUnavailableError)) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * One supplier's transport: sends a request, logs it through `recordCall` whatever
 * happens (secrets redacted), and turns outages into `SupplierUnavailableError`:
 * no answer (timeout, refused connection), 5xx, and 429 (rate limited: retry later).
 */
export class SupplierHttp {
  constructor(
    readonly supplier: SupplierName,
    private readonly http: HttpClient,
    private readonly recordCall: RecordSupplierCall,
    private readonly secrets: readonly string[],
  ) {}

  /** Logs an operation the supplier's API cannot do (nothing sent), so the call log shows it was attempted. */
  async recordUnsupported(operation: SupplierCall['operation'], reference: string | null, reason: string): Promise<void> {
    await this.recordCall({ supplier: this.supplier, operation, reference, request: { sent: false }, response: null, httpStatus: null, durationMs: 0, outcome: 'rejected', error: reason });
  }

  async send(request: SupplierRequest, judge: (answer: SupplierAnswer) => Verdict): Promise<SupplierAnswer> {
    const logged = {
      method: request.method,
      path: request.path,
      ...(request.headers && { headers: request.headers }),
      ...(request.searchParams && { query: request.searchParams }),
      ...(request.json !== undefined && { body: request.json }),
      ...(request.form && { form: request.form }),
    };
    const started = performance.now();
    let answer: SupplierAnswer;
    try {
      const response = await this.http(request.path, {
        method: request.method,
        ...(request.headers && { headers: request.headers }),
        ...(request.searchParams && { searchParams: request.searchParams }),
        ...(request.json !== undefined && { json: request.json }),
        ...(request.form && { form: request.form }),
      });
      answer = { status: response.statusCode, body: parseJsonBody(response.body) };
    } catch (error) {
      await this.record(request, logged, null, null, started, { outcome: 'error', error: describe(error) });
      throw new SupplierUnavailableError(this.supplier, `${this.supplier} ${request.operation}: no answer (${describe(error)})`, { cause: error });
    }
    if (answer.status >= 500 || answer.status === 429) {
      const error = `HTTP ${answer.status}`;
      await this.record(request, logged, answer.body, answer.status, started, { outcome: 'error', error });
      throw new SupplierUnavailableError(this.supplier, `${this.supplier} ${request.operation}: ${error}`);
    }
    await this.record(request, logged, answer.body, answer.status, started, judge(answer));
    return answer;
  }

  private async record(request: SupplierRequest, logged: unknown, response: unknown, httpStatus: number | null, started: number, verdict: Verdict) {
    await this.recordCall({
      supplier: this.supplier,
      operation: request.operation,
      reference: request.reference,
      request: redact(logged, this.secrets),
      response: redact(response, this.secrets),
      httpStatus,
      durationMs: Math.round(performance.now() - started),
      outcome: verdict.outcome,
      error: verdict.error ?? null,
    });
  }
}
