import {
  type Attributes,
  type Context,
  context,
  propagation,
  type SpanKind,
  SpanStatusCode,
  trace,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { activeTraceContext, currentFlow, runInFlow } from './context';

const keepOnlyInProcess = {
  onStart() {},
  onEnd() {},
  forceFlush: async () => {},
  shutdown: async () => {},
};

/**
 * Starts the OpenTelemetry SDK. With OTEL_EXPORTER_OTLP_ENDPOINT set, spans go there (the
 * standard OTEL_* variables apply); without it spans are still recorded so trace ids reach
 * logs and travel over HTTP and NATS headers, but nothing is exported.
 */
export function startTelemetry(serviceName: string): { shutdown(): Promise<void> } {
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const exporting = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? serviceName,
    instrumentations: [],
    ...(exporting ? {} : { spanProcessors: [keepOnlyInProcess] }),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

export const tracer = () => trace.getTracer('@platform/runtime');

/** Every span names the journey it served: one correlation id finds them all, across traces. */
export const CORRELATION_ATTRIBUTE = 'platform.correlation_id';

/** Runs `fn` in a new span, child of `parent`; records failures and ends the span. */
export async function inSpan<T>(
  name: string,
  options: { kind: SpanKind; parent?: Context; attributes?: Attributes },
  fn: () => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? activeTraceContext();
  const flow = currentFlow();
  const attributes = { ...options.attributes, ...(flow && { [CORRELATION_ATTRIBUTE]: flow.correlationId }) };
  const span = tracer().startSpan(name, { kind: options.kind, attributes }, parent);
  try {
    const active = trace.setSpan(parent, span);
    return await context.with(active, () => (flow ? runInFlow({ ...flow, trace: active }, fn) : fn()));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** Header carriers: plain records (HTTP) and anything with get/set (NATS MsgHdrs). */
interface HeaderBag {
  get(key: string): string | undefined | null;
  set(key: string, value: string): void;
}

const bagGetter: TextMapGetter<HeaderBag> = {
  get: (carrier, key) => carrier.get(key) || undefined,
  keys: () => ['traceparent', 'tracestate', 'baggage'],
};
const bagSetter: TextMapSetter<HeaderBag> = { set: (carrier, key, value) => carrier.set(key, value) };

export function injectTraceContext(carrier: HeaderBag, ctx: Context = activeTraceContext()): void {
  propagation.inject(ctx, carrier, bagSetter);
}

/** Captures the current trace context as plain headers, for storing beside an outbox or timer row. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  injectTraceContext({ get: (k) => carrier[k], set: (k, v) => (carrier[k] = v) });
  return carrier;
}

export function extractTraceContext(carrier: HeaderBag): Context {
  return propagation.extract(context.active(), carrier, bagGetter);
}

/** Adapts an HTTP header record to the get/set carrier shape. */
export function recordCarrier(record: Record<string, string | string[] | undefined>): HeaderBag {
  return {
    get: (key) => {
      const value = record[key.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
    set: (key, value) => {
      record[key] = value;
    },
  };
}
