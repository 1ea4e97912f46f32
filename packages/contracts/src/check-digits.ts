/**
 * Check-digit rules of the tracking-number formats carriers publish (docs/tracking-numbers.md;
 * algorithms as in jkeen/tracking_number_data). Each takes a normalized number (no spaces,
 * upper case) that already matched its format's regex and says whether its check digit holds.
 */

const digitsOf = (text: string): number[] => [...text].map((c) => Number(c));
const lastDigit = (text: string): number => Number(text.at(-1));

/** Σ digit × weight with `weights` cycling from the rightmost digit; check = (10 − Σ mod 10) mod 10. */
function mod10FromRight(serial: string, weights: readonly number[]): number {
  const digits = digitsOf(serial).reverse();
  const sum = digits.reduce((total, digit, index) => total + digit * weights[index % weights.length]!, 0);
  return (10 - (sum % 10)) % 10;
}

/** Σ digit × weight with `weights` cycling from the leftmost digit; check = (Σ mod 11) mod 10. */
function mod11FromLeft(serial: string, weights: readonly number[]): number {
  const sum = digitsOf(serial).reduce((total, digit, index) => total + digit * weights[index % weights.length]!, 0);
  return (sum % 11) % 10;
}

/** UPS `1Z…`: the 15 characters after `1Z` (letters as (code − 3) mod 10), odd positions ×1, even ×2. */
export function upsCheck(number: string): boolean {
  const body = number.slice(2, 17);
  const sum = [...body].reduce((total, char, index) => {
    const value = /\d/.test(char) ? Number(char) : (char.charCodeAt(0) - 3) % 10;
    return total + value * (index % 2 === 1 ? 2 : 1);
  }, 0);
  return (10 - (sum % 10)) % 10 === lastDigit(number);
}

/** USPS IMpb (20, 22 or 26 digits, optionally after a `420<ZIP5>` routing prefix): 3,1,3,… from the right. */
export function uspsImpbCheck(number: string): boolean {
  const impb = /^420\d{5}(\d{22,26})$/.exec(number)?.[1] ?? number;
  return mod10FromRight(impb.slice(0, -1), [3, 1]) === lastDigit(impb);
}

/** FedEx Express, 12 digits: weights 3,1,7 from the left over 11 digits, (Σ mod 11) mod 10. */
export function fedexExpressCheck(number: string): boolean {
  return mod11FromLeft(number.slice(0, 11), [3, 1, 7]) === lastDigit(number);
}

/** FedEx Ground: 15 digits, or `96` + 20 digits checked over digits 8–21; 3,1 from the right, mod 10. */
export function fedexGroundCheck(number: string): boolean {
  const serial = number.length === 22 ? number.slice(7, 21) : number.slice(0, -1);
  return mod10FromRight(serial, [3, 1]) === lastDigit(number);
}

/** FedEx 34-digit barcode: weights 1,7,3 from the left over the last 13 serial digits, (Σ mod 11) mod 10. */
export function fedex34Check(number: string): boolean {
  return mod11FromLeft(number.slice(20, 33), [1, 7, 3]) === lastDigit(number);
}

/** DHL Express waybill (10–11 digits): the last digit is the rest mod 7. */
export function dhlExpressCheck(number: string): boolean {
  return Number(BigInt(number.slice(0, -1)) % 7n) === lastDigit(number);
}

/** Canada Post domestic, 16 digits: 3,1 from the right, mod 10. */
export function canadaPostCheck(number: string): boolean {
  return mod10FromRight(number.slice(0, -1), [3, 1]) === lastDigit(number);
}

/** UPU S10 (`RR123456785CN`): weights 8,6,4,2,3,5,9,7 over the serial; c = 11 − Σ mod 11, 10 → 0, 11 → 5. */
export function s10CheckDigit(serial: string): number {
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  const sum = digitsOf(serial).reduce((total, digit, index) => total + digit * weights[index]!, 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 0 : check === 11 ? 5 : check;
}

export function s10Check(number: string): boolean {
  return s10CheckDigit(number.slice(2, 10)) === Number(number[10]);
}
