/**
 * Optimistic concurrency: runs `attempt` again while it fails because a concurrent writer
 * committed first (`isConflict`), `attempts` times at most; any other error, and the last
 * conflict, is thrown. Each attempt reads afresh what it decides on: under READ COMMITTED its
 * next read sees the winner's commit. The conflict must be detected without a failed SQL
 * statement (an update that matched no row), which would abort the transaction.
 */
export async function retryOnConflict<T>(isConflict: (error: unknown) => boolean, attempt: () => Promise<T>, attempts = 5): Promise<T> {
  for (let round = 1; ; round++) {
    try {
      return await attempt();
    } catch (error) {
      if (round >= attempts || !isConflict(error)) throw error;
    }
  }
}
