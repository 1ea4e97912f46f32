/**
 * Effects that must follow a commit and never a rollback, registered from code that only holds
 * the transaction (a consumer's or timer's handler, a use case): business metrics count a fact
 * once, in the process that committed it, and not when the transaction fails or is retried.
 */

type Effect = () => void;

/** The effects waiting for each open transaction of a client wrapped by `withCommitHooks`. */
const pending = new WeakMap<object, Effect[]>();
/** Wrapped clients: outside a transaction their writes commit at once. */
const clients = new WeakSet<object>();

/**
 * Runs `effect` once `tx` commits, in the order registered; never if it rolls back. Given the
 * client itself (no transaction: the write already committed) it runs now. Effects must not
 * throw: the transaction is already committed when they run.
 */
export function afterCommit(tx: object, effect: Effect): void {
  const effects = pending.get(tx);
  if (effects) effects.push(effect);
  else if (clients.has(tx)) effect();
  else throw new Error('afterCommit needs a transaction of a client made by withCommitHooks');
}

interface InteractiveTransactions {
  $transaction(...args: never[]): Promise<unknown>;
}

/**
 * Makes `client`'s interactive transactions (`$transaction(async (tx) => …)`) run the effects
 * their work registered with `afterCommit`, after the commit and before `$transaction` returns.
 * The client is changed in place and returned (Prisma's client is a proxy of its own: a wrapper
 * around it would need every member forwarded).
 */
export function withCommitHooks<C extends InteractiveTransactions>(client: C): C {
  const transaction = client.$transaction.bind(client) as (fn: unknown, options?: unknown) => Promise<unknown>;
  const hooked = async (fn: unknown, options?: unknown) => {
    // The batch form (an array of queries) registers nothing.
    if (typeof fn !== 'function') return transaction(fn, options);
    const effects: Effect[] = [];
    const result = await transaction(async (tx: object) => {
      pending.set(tx, effects);
      return (fn as (tx: object) => Promise<unknown>)(tx);
    }, options);
    for (const effect of effects) effect();
    return result;
  };
  Object.defineProperty(client, '$transaction', { value: hooked, configurable: true, writable: true });
  clients.add(client);
  return client;
}
