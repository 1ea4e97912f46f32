import { AsyncLocalStorage } from 'node:async_hooks';

/** What a committed transaction wrote that this service's background workers act on. */
export interface CommitEffects {
  /** It recorded outbox events: the relay has something to publish. */
  events: boolean;
  /** It scheduled (or moved) a timer: one may be due now. */
  timers: boolean;
}

const storage = new AsyncLocalStorage<CommitEffects>();

/**
 * Runs `transaction` noting what it writes (`noteEffect`), so that after the commit a consumer
 * or timer worker wakes the outbox relay only when events were recorded and the timer workers
 * only when a timer was scheduled. Each wake costs a query; waking both after every commit was
 * a fifth of some services' statements (docs/performance.md).
 */
export async function trackEffects<T>(transaction: () => Promise<T>): Promise<{ result: T; effects: CommitEffects }> {
  const effects: CommitEffects = { events: false, timers: false };
  const result = await storage.run(effects, transaction);
  return { result, effects };
}

/** Called by the writers (`recordEvents`, `scheduleTimer`); outside `trackEffects` it does nothing. */
export function noteEffect(kind: keyof CommitEffects): void {
  const effects = storage.getStore();
  if (effects) effects[kind] = true;
}
