import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context as otelContext } from '@opentelemetry/api';

/** What ties log lines and events of one business flow together, across HTTP and NATS hops. */
export interface FlowContext {
  correlationId: string;
  /** Id of the event or request that caused the work in progress. */
  causationId: string | null;
  /** The OpenTelemetry context (active span) of this flow. */
  trace?: Context;
  /** The timer firing this work (`kind:key`): its own id, beside the journey's correlation id. */
  timer?: string;
}

const storage = new AsyncLocalStorage<FlowContext>();

export function runInFlow<T>(context: FlowContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Enters a flow for the rest of the current async execution. Fastify hooks cannot wrap the
 * handler in a callback, so the HTTP server uses this from `onRequest`.
 */
export function enterFlow(context: FlowContext): void {
  storage.enterWith(context);
}

/**
 * Runs `fn` in the current flow moved onto `correlationId` (unchanged without one). Work that
 * arrives without our ids (a provider's webhook) joins the journey it belongs to once the
 * service knows which, so the events it records and the lines it logs carry the journey's id;
 * causation and trace stay.
 */
export function continueFlow<T>(correlationId: string | null | undefined, fn: () => T): T {
  return correlationId ? runInFlow({ causationId: null, ...storage.getStore(), correlationId }, fn) : fn();
}

export function currentFlow(): FlowContext | undefined {
  return storage.getStore();
}

/** The trace context to parent new spans and outgoing headers on. */
export function activeTraceContext(): Context {
  return storage.getStore()?.trace ?? otelContext.active();
}
