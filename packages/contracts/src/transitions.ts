import type { DomainError } from './errors';

/** A status machine as a table: the statuses each status may move to. */
export type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

/**
 * `canTransition` and `assertTransition` over `table`; `refusal` is the error a move not in the
 * table raises. Pure (no run-time imports), so `domain/` may use it.
 */
export function transitions<S extends string>(table: TransitionTable<S>, refusal: (from: S, to: S) => DomainError) {
  const canTransition = (from: S, to: S): boolean => table[from].includes(to);
  const assertTransition = (from: S, to: S): void => {
    if (!canTransition(from, to)) throw refusal(from, to);
  };
  return { canTransition, assertTransition };
}
