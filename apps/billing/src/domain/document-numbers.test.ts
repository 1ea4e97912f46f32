import { describe, expect, it } from 'vitest';
import { documentSeries } from './document-numbers';

describe('document series', () => {
  it('numbers invoices in one series and credit notes in one series per UTC year', () => {
    expect(documentSeries('invoice', new Date('2026-12-31T23:30:00Z'))).toEqual({ sequence: 'invoice', prefix: 'INV-', placeholder: 'INV-000000' });
    expect(documentSeries('credit_note', new Date('2026-12-31T23:30:00Z'))).toEqual({ sequence: 'credit_note:2026', prefix: 'CN-2026-', placeholder: 'CN-2026-000000' });
    // Already 2027 in Bucharest, still 2026 in UTC: the UTC year counts.
    expect(documentSeries('credit_note', new Date('2027-01-01T00:30:00+02:00')).sequence).toBe('credit_note:2026');
    expect(documentSeries('credit_note', new Date('2027-01-01T00:30:00Z')).prefix).toBe('CN-2027-');
  });
});
