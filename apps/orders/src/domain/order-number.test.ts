import { describe, expect, it } from 'vitest';
import { formatOrderNumber } from '@platform/contracts/api/orders';
import { sequencesWithPrefix } from './order-number';

/** Every sequence the ranges hold, for small cases. */
const matches = (digits: string, upTo: number) =>
  Array.from({ length: upTo }, (_, n) => n).filter((n) => sequencesWithPrefix(digits).some((r) => n >= r.from && n < r.to));

describe('sequencesWithPrefix', () => {
  it('matches exactly the numbers whose formatted form begins with the digits', () => {
    for (const digits of ['0', '00', '0000', '000042', '1', '12', '123456', '1234567', '9']) {
      const expected = [0, 1, 42, 99, 100, 1_000, 99_999, 100_000, 120_000, 129_999, 130_000, 123_456, 999_999, 1_000_000, 1_234_567, 1_299_999, 12_345_678, 2_000_000_000, 2_147_483_647]
        .filter((n) => formatOrderNumber(n).slice('ORD-'.length).startsWith(digits));
      const inRanges = expected.filter((n) => sequencesWithPrefix(digits).some((r) => n >= r.from && n < r.to));
      expect(inRanges, digits).toEqual(expected);
    }
  });

  it('is an exact match for a whole padded number and a block for a short prefix', () => {
    expect(sequencesWithPrefix('000042')).toEqual([{ from: 42, to: 43 }]);
    expect(matches('00001', 200)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(sequencesWithPrefix('12')).toEqual([
      { from: 120_000, to: 130_000 },
      { from: 1_200_000, to: 1_300_000 },
      { from: 12_000_000, to: 13_000_000 },
      { from: 120_000_000, to: 130_000_000 },
      { from: 1_200_000_000, to: 1_300_000_000 },
    ]);
  });

  it('stays within the integer column', () => {
    expect(sequencesWithPrefix('3').every((r) => r.to <= 2_147_483_648)).toBe(true);
    expect(sequencesWithPrefix('9999999999')).toEqual([]);
  });
});
