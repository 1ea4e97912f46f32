import { ORDER_NUMBER_WIDTH as WIDTH } from '@platform/contracts/api/orders';

/** The numbers column is a Postgres integer: at most 10 digits. */
const MAX_DIGITS = 10;
const MAX_SEQUENCE = 2_147_483_647;

/** Sequences from `from` up to, not including, `to`. */
export interface SequenceRange {
  from: number;
  to: number;
}

/**
 * The sequences whose formatted number begins with these digits (the part after `ORD-`), as
 * ranges the unique index on the sequence answers, rather than a text match over every order.
 * Up to six digits the padded form matches one range (`0000` → 0…99); a longer number has no
 * padding, so digits not starting with 0 also match each longer length (`12` → 120000…129999,
 * 1200000…1299999, …).
 */
export function sequencesWithPrefix(digits: string): SequenceRange[] {
  const prefix = Number(digits);
  const ranges: SequenceRange[] = [];
  for (let length = Math.max(WIDTH, digits.length); length <= MAX_DIGITS; length += 1) {
    if (length > WIDTH && digits.startsWith('0')) break;
    const scale = 10 ** (length - digits.length);
    const lowest = length > WIDTH ? 10 ** (length - 1) : 0;
    const from = Math.max(prefix * scale, lowest);
    const to = Math.min((prefix + 1) * scale, 10 ** length, MAX_SEQUENCE + 1);
    if (from < to) ranges.push({ from, to });
  }
  return ranges;
}
