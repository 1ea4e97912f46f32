/**
 * Tracking numbers the simulated suppliers hand out, valid under the carriers' check-digit
 * rules (docs/tracking-numbers.md) so the tracking service's carrier detection accepts them.
 */

const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7] as const;

/** UPU S10 check digit of an 8-digit serial: c = 11 − (Σ digit×weight mod 11); 10 → 0, 11 → 5. */
export function s10CheckDigit(serial: string): number {
  if (!/^\d{8}$/.test(serial)) throw new RangeError(`S10 serial must be 8 digits, got "${serial}"`);
  const sum = [...serial].reduce((total, digit, index) => total + Number(digit) * S10_WEIGHTS[index]!, 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 0 : check === 11 ? 5 : check;
}

/**
 * A UPU S10 identifier: service indicator (2 letters; `RR` = registered letter post),
 * 8-digit serial, check digit, issuing country (e.g. `RR123456785CN` for China Post).
 */
export function s10TrackingNumber(serial: number, prefix = 'RR', country = 'CN'): string {
  if (!/^[A-Z]{2}$/.test(prefix) || !/^[A-Z]{2}$/.test(country)) throw new RangeError('S10 prefix and country must be two capital letters');
  if (!Number.isInteger(serial) || serial < 0 || serial > 99_999_999) throw new RangeError('S10 serial must be an integer 0..99999999');
  const digits = String(serial).padStart(8, '0');
  return `${prefix}${digits}${s10CheckDigit(digits)}${country}`;
}

/** USPS IMpb mod-10 check digit: weights 3,1,3,… from the rightmost digit; (10 − Σ mod 10) mod 10. */
export function impbCheckDigit(digits: string): number {
  if (!/^\d+$/.test(digits)) throw new RangeError('IMpb digits only');
  const sum = [...digits].reverse().reduce((total, digit, index) => total + Number(digit) * (index % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10;
}

/**
 * A 22-digit USPS IMpb tracking number (`^9[1-5]\d{20}$`): channel application id `9400`
 * (USPS Tracking), a 17-digit serial, the check digit.
 */
export function impbTrackingNumber(serial: bigint | number): string {
  const digits = `9400${String(serial).padStart(17, '0')}`;
  if (!/^\d{21}$/.test(digits)) throw new RangeError('IMpb serial must be a non-negative integer below 10^17');
  return `${digits}${impbCheckDigit(digits)}`;
}
