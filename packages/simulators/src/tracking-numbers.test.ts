import { describe, expect, it } from 'vitest';
import { impbCheckDigit, impbTrackingNumber, s10CheckDigit, s10TrackingNumber } from './tracking-numbers';

describe('UPU S10', () => {
  it('computes the worked example of the S10 standard (47312482 → 9)', () => {
    expect(s10CheckDigit('47312482')).toBe(9);
  });

  it('reproduces published valid numbers (jkeen/tracking_number_data s10 test numbers)', () => {
    expect(s10TrackingNumber(12345678, 'RB', 'GB')).toBe('RB123456785GB');
    expect(s10TrackingNumber(12345678, 'RB', 'US')).toBe('RB123456785US');
    // ... and refuses the published invalid one (RB123456786US) by giving a different digit.
    expect(s10TrackingNumber(12345678, 'RB', 'US')).not.toBe('RB123456786US');
  });

  it('maps 10 to 0 and 11 to 5', () => {
    expect(s10CheckDigit('00000008')).toBe(0); // Σ = 8×7 = 56 ≡ 1 (mod 11): c = 10 → 0
    expect(s10CheckDigit('00000015')).toBe(5); // Σ = 1×9 + 5×7 = 44 ≡ 0: c = 11 → 5
  });

  it('defaults to China Post registered (RR…CN) and pads the serial', () => {
    expect(s10TrackingNumber(12345678)).toBe('RR123456785CN');
    expect(s10TrackingNumber(7)).toMatch(/^RR00000007\dCN$/);
    expect(() => s10TrackingNumber(100_000_000)).toThrow(RangeError);
  });
});

describe('USPS IMpb', () => {
  it.each(['9505511069605048600624', '9101123456789000000013', '9400111201080805483016', '9361289878700317633795', '9405803699300124287899', '03071790000523483741'])(
    'agrees with the published valid number %s',
    (number) => {
      expect(impbCheckDigit(number.slice(0, -1))).toBe(Number(number.at(-1)));
    },
  );

  it('builds 22-digit numbers that match the IMpb pattern', () => {
    const number = impbTrackingNumber(123n);
    expect(number).toMatch(/^9[1-5]\d{20}$/);
    expect(impbCheckDigit(number.slice(0, -1))).toBe(Number(number.at(-1)));
  });
});
