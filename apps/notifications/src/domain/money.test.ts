import { describe, expect, it } from 'vitest';
import { formatMoney } from './money';

describe('formatMoney', () => {
  it('divides by the currency exponent and formats for the locale', () => {
    expect(formatMoney(123_45, 'USD', 'en')).toBe('$123.45');
    expect(formatMoney(123_45, 'EUR', 'es').replace(/\s/g, ' ')).toBe('123,45 €');
  });

  it('knows currencies without minor units', () => {
    expect(formatMoney(1500, 'JPY', 'en')).toBe('¥1,500');
    expect(formatMoney(1500, 'JPY', 'es').replace(/\s/g, ' ')).toBe('1500 JPY');
  });

  it('knows currencies with three decimals', () => {
    expect(formatMoney(1234, 'KWD', 'en').replace(/\s/g, ' ')).toBe('KWD 1.234');
  });
});
