/**
 * Seeded like every property suite here: PROPERTY_SEED and PROPERTY_RUNS change the run, and
 * fast-check prints the seed and the shrunk counterexample of a failure, so it can be repeated.
 */
export function propertyOptions(defaultRuns: number) {
  const seed = Number(process.env.PROPERTY_SEED ?? 808);
  const numRuns = Number(process.env.PROPERTY_RUNS ?? defaultRuns);
  return { seed, numRuns, describeSeed: `PROPERTY_SEED=${seed} PROPERTY_RUNS=${numRuns}` };
}
