import { type DriverDatabase, type DriverSql, type TransactionCapture, transactionCapture } from './driver-sql';

/**
 * One scope per interactive transaction of a service's Prisma client, opened by the
 * `$transaction` wrapper `createPrismaClient` installs, so that consumers, timers and HTTP use
 * cases all get the same commit behaviour without managing it themselves:
 * - before the commit, the steps registered with `beforeCommit` run (work gathered over the
 *   transaction, such as an order's timeline entries), then the outbox events recorded through
 *   the transaction and the timers it scheduled or cancelled are written in one statement, the
 *   events in the order recorded (a use case recording in several steps pays one round trip, and
 *   a timer costs none of its own), then the steps registered with `afterEventsWritten` (what
 *   names those events' rows, such as a request for a gap-free number);
 * - after the commit, the client's listeners hear what it wrote (events, timers), so the service
 *   wakes only the worker that has something to do (each wake costs a query, docs/performance.md);
 * - after the commit, the effects registered with `afterCommit` run (business metrics count a fact
 *   once, in the process that committed it). A rollback writes, wakes and runs nothing;
 * - meanwhile it carries the use cases' own per-transaction state (`TransactionState`), made on
 *   first use and dropped with the transaction.
 */

/** What a committed transaction wrote that the service's background workers act on. */
export interface Written {
  /** It recorded outbox events: the relay has something to publish. */
  events: boolean;
  /** The timers it scheduled (or moved), by kind and due time: the worker of that kind looks for them when they are due. */
  timers: ReadonlyArray<ScheduledTimer>;
}

/** A timer a committed transaction left pending (timers.ts). */
export interface ScheduledTimer {
  kind: string;
  fireAt: Date;
}

type Effect = () => void;
/** The transaction's last work before its events are written; it may revise those events. */
type FinalStep = (events: DeferredEvent[]) => Promise<void>;

/** An event waiting in its transaction for the statement before commit (see outbox.ts). */
export interface DeferredEvent {
  id: string;
  type: string;
  aggregateId: string;
  json: string;
  /** The trace context where it was recorded: the span the event continues. */
  traceHeaders: string;
}

interface Scope {
  readonly events: DeferredEvent[];
  /** By kind and key: a later change of the same timer replaces an earlier one. */
  readonly timers: Map<string, DeferredTimer>;
  readonly finalSteps: FinalStep[];
  /** Steps after the events' insert: the transaction's last statements (`afterEventsWritten`). */
  readonly lastSteps: Array<() => Promise<void>>;
  /** Set once the events and timers are written: one recorded later would be lost. */
  deferredWritten: boolean;
  /** It recorded outbox events (its timers are the deferred changes that schedule one). */
  eventsWritten: boolean;
  readonly effects: Effect[];
  /** The values of the `TransactionState`s used in this transaction. */
  readonly state: Map<TransactionState<unknown>, unknown>;
  /** The transaction's connection for the runtime's own statements (driver-sql.ts). */
  sql: DriverSql;
}

/**
 * A timer change waiting in its transaction for the statement before commit (timers.ts): the last
 * change the transaction made to its (kind, key), a scheduling or, without `schedule`, a cancel.
 */
export interface DeferredTimer {
  kind: string;
  key: string;
  schedule?: {
    id: string;
    payload: string;
    fireAt: Date;
    correlationId: string | null;
    traceHeaders: string;
  };
}

/** Writes a transaction's deferred events and timer changes before it commits, in one statement (deferred-writes.ts). */
export type DeferredWriter = (sql: DriverSql, events: readonly DeferredEvent[], timers: readonly DeferredTimer[]) => Promise<void>;

interface ScopedClient {
  listeners: Array<(written: Written) => void>;
}

const scopes = new WeakMap<object, Scope>();
const clients = new WeakMap<object, ScopedClient>();

interface InteractiveTransactions {
  $transaction(...args: never[]): Promise<unknown>;
}

/**
 * Opens a scope for each of `client`'s interactive transactions (`$transaction(async (tx) => …)`),
 * closed by `writeEvents` before the commit, then the listeners and effects after it, before
 * `$transaction` returns. The client is changed in place and returned (Prisma's client is a proxy
 * of its own: a wrapper around it would need every member forwarded).
 */
export function withTransactionScope<C extends InteractiveTransactions>(client: C, writeDeferred: DeferredWriter, driver: DriverDatabase): C {
  const transaction = client.$transaction.bind(client) as (fn: unknown, options?: unknown) => Promise<unknown>;
  const scoped: ScopedClient = { listeners: [] };
  const scopedTransaction = async (fn: unknown, options?: unknown) => {
    // The batch form (an array of queries) records nothing.
    if (typeof fn !== 'function') return transaction(fn, options);
    const capture: TransactionCapture = {};
    const [value, scope] = (await transactionCapture.run(capture, () =>
      transaction(async (tx: object) => {
        if (!capture.sql) throw new Error("the transaction's driver connection was not captured (driver-sql.ts)");
        const scope: Scope = {
          events: [],
          timers: new Map(),
          finalSteps: [],
          lastSteps: [],
          deferredWritten: false,
          eventsWritten: false,
          effects: [],
          state: new Map(),
          sql: capture.sql,
        };
        scopes.set(tx, scope);
        const value = await (fn as (tx: object) => Promise<unknown>)(tx);
        for (const step of scope.finalSteps) await step(scope.events);
        if (scope.events.length > 0 || scope.timers.size > 0) await writeDeferred(scope.sql, scope.events, [...scope.timers.values()]);
        scope.deferredWritten = true;
        for (const step of scope.lastSteps) await step();
        return [value, scope];
      }, options),
    )) as [unknown, Scope];
    const written: Written = { events: scope.eventsWritten, timers: scheduledIn(scope.timers.values()) };
    for (const listener of scoped.listeners) listener(written);
    for (const effect of scope.effects) effect();
    return value;
  };
  Object.defineProperty(client, '$transaction', { value: scopedTransaction, configurable: true, writable: true });
  // A property, not a map entry: a test's proxy of the client reaches it too, and may replace it.
  Object.defineProperty(client, DRIVER_DATABASE, { value: driver, configurable: true });
  clients.set(client, scoped);
  return client;
}

/** Where a client made by createPrismaClient keeps its `DriverDatabase`. */
export const DRIVER_DATABASE = Symbol('driver database');

/** The client's database for the runtime's own statements outside a transaction (driver-sql.ts). */
export function driverDatabaseOf(client: object): DriverDatabase {
  const driver = (client as { [DRIVER_DATABASE]?: DriverDatabase })[DRIVER_DATABASE];
  if (!driver) throw new Error('needs a client made by createPrismaClient');
  return driver;
}

/** The connection the runtime's own statements take in `db`: its transaction's, or the client's pool. */
export function driverSqlOf(db: object): DriverSql {
  return scopes.get(db)?.sql ?? driverDatabaseOf(db);
}

/**
 * Has `events` written before `tx` commits, after those recorded earlier; false when `tx` is not
 * a scoped transaction (the client itself, whose writes commit at once): the caller writes them now.
 */
export function deferEvents(tx: object, events: readonly DeferredEvent[]): boolean {
  const scope = scopes.get(tx);
  if (scope?.deferredWritten) throw new Error('events recorded after the transaction wrote its events (in an afterEventsWritten step)');
  scope?.events.push(...events);
  return scope !== undefined;
}

/**
 * Has the timer change written before `tx` commits, replacing the transaction's earlier change of
 * the same timer; false when `tx` is not a scoped transaction: the caller writes it now. Nothing
 * reads a timer in the transaction that changes it (the timer worker's own row excepted: its
 * firing is marked first, and a handler's rescheduling, written after, makes it pending again).
 */
export function deferTimer(tx: object, timer: DeferredTimer): boolean {
  const scope = scopes.get(tx);
  if (!scope) return false;
  if (scope.deferredWritten) throw new Error('timer changed after the transaction wrote its events (in an afterEventsWritten step)');
  scope.timers.set(`${timer.kind}\n${timer.key}`, timer);
  return true;
}

/**
 * Runs `step` when the transaction's work is done, right before its events are written and it
 * commits, in the order registered; `step` may record or revise those events (an order's
 * timeline entries, written together: apps/orders/src/application/timeline.ts).
 */
export function beforeCommit(tx: object, step: FinalStep): void {
  const scope = scopes.get(tx);
  if (!scope) throw new Error('beforeCommit needs a transaction of a client made by createPrismaClient');
  scope.finalSteps.push(step);
}

/**
 * Runs `step` after the transaction's events are written, as its last statements before the
 * commit, in the order registered; it may no longer record events, only change the rows written
 * (the outbox's included). For what needs the ids of every event the transaction recorded:
 * billing's requests for gap-free numbers (apps/billing/src/application/numbering.ts).
 */
export function afterEventsWritten(tx: object, step: () => Promise<void>): void {
  const scope = scopes.get(tx);
  if (!scope) throw new Error('afterEventsWritten needs a transaction of a client made by createPrismaClient');
  scope.lastSteps.push(step);
}

/**
 * Notes what `tx` wrote; through the client itself (already committed) its listeners hear at once.
 * A transaction's timers are told at its commit from its deferred changes (the last change of each).
 */
export function noteWritten(tx: object, written: { events?: true; timers?: readonly DeferredTimer[] }): void {
  const scope = scopes.get(tx);
  if (scope) scope.eventsWritten ||= written.events ?? false;
  else for (const listener of clients.get(tx)?.listeners ?? []) listener({ events: written.events ?? false, timers: scheduledIn(written.timers ?? []) });
}

function scheduledIn(changes: Iterable<DeferredTimer>): ScheduledTimer[] {
  return [...changes].flatMap((change) => (change.schedule ? [{ kind: change.kind, fireAt: change.schedule.fireAt }] : []));
}

/**
 * Runs `effect` once `tx` commits, in the order registered; never if it rolls back. Given the
 * client itself (no transaction: the write already committed) it runs now. Effects must not
 * throw: the transaction is already committed when they run.
 */
export function afterCommit(tx: object, effect: Effect): void {
  const scope = scopes.get(tx);
  if (scope) scope.effects.push(effect);
  else if (clients.has(tx)) effect();
  else throw new Error('afterCommit needs a transaction of a client made by createPrismaClient');
}

/**
 * Calls `listener` after each of `client`'s commits with what it wrote (the runtime wakes its
 * workers from it). Returns what stops it (a test's listener on a shared client).
 */
export function onCommit(client: object, listener: (written: Written) => void): () => void {
  const scoped = clients.get(client);
  if (!scoped) throw new Error('onCommit needs a client made by createPrismaClient');
  scoped.listeners.push(listener);
  return () => {
    scoped.listeners = scoped.listeners.filter((other) => other !== listener);
  };
}

/**
 * A named value each transaction may carry (e.g. billing's documents awaiting a number): `of`
 * makes it with `create` on its first use in a transaction (where `create` may register a
 * `beforeCommit` step that uses it), `peek` reads it without making it. It goes with the
 * transaction's scope, so nothing outlives a commit or a rollback.
 */
export class TransactionState<T> {
  constructor(
    readonly name: string,
    private readonly create: (tx: object) => T,
  ) {}

  /** `tx`'s value, made now if this is its first use in `tx`. */
  of(tx: object): T {
    const scope = scopes.get(tx);
    if (!scope) throw new Error(`${this.name} needs a transaction of a client made by createPrismaClient`);
    if (!scope.state.has(this)) scope.state.set(this, this.create(tx));
    return scope.state.get(this) as T;
  }

  /** `tx`'s value if it was made, else undefined (also outside a scoped transaction). */
  peek(tx: object): T | undefined {
    return scopes.get(tx)?.state.get(this) as T | undefined;
  }
}
