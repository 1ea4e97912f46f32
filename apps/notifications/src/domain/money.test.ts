import { describe, expect, it } from 'vitest';
import { formatMoney } from './money';

describe('formatMoney', () => {
  it('divides by the currency exponent and formats for the locale', () => {
    expect(formatMoney(123_45, 'USD', 'en')).toBe('$123.45');
    expect(formatMoney(123_45, 'EUR', 'es').replace(/\s/g, ' ')).toBe('123,45 €');
  });

  it('knows currencies without minor units', () => {
    expect(formatMoney(1500, 'JPY', 'en')).toBe('¥1,500');
  });
});
