/** A client whose interactive transactions take an options argument (any service's Prisma client). */
interface Transactions<Tx> {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: { timeout?: number }): Promise<R>;
}

/**
 * Runs `work` in a transaction of `db` and keeps that transaction open, with its locks, until
 * `release()`, which then waits for its commit: for tests of what another transaction does
 * meanwhile. Resolves once `work` is done.
 */
export async function holdTransaction<Tx>(db: Transactions<Tx>, work: (tx: Tx) => Promise<unknown>, timeoutMs = 60_000): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let done!: () => void;
  const workDone = new Promise<void>((resolve) => (done = resolve));
  const transaction = db.$transaction(
    async (tx) => {
      await work(tx);
      done();
      await released;
    },
    { timeout: timeoutMs },
  );
  // A failing `work` ends the transaction before it is held: fail here, not at the release.
  await Promise.race([workDone, transaction]);
  return {
    async release() {
      release();
      await transaction;
    },
  };
}
