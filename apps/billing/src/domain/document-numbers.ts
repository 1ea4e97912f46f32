/*
 * Gap-free document numbers (docs/requirements.md#bil-01-invoices): invoices `INV-000123`, one
 * series; credit notes `CN-2026-000123`, one series per calendar year (UTC). Six digits at
 * least, more once a counter passes 999999 (never truncated). The counter is incremented and
 * the number formatted by PostgreSQL in the commit of the transaction that issues the document
 * (application/numbering.ts).
 */

export type DocumentKind = 'invoice' | 'credit_note';

export interface DocumentSeries {
  /** The counter's row in `number_sequences`. */
  sequence: string;
  /** What comes before the counter's digits. */
  prefix: string;
  /** What the document's events carry until the number is assigned; matches the events' format. */
  placeholder: string;
}

export function documentSeries(kind: DocumentKind, issuedAt: Date): DocumentSeries {
  if (kind === 'invoice') return { sequence: 'invoice', prefix: 'INV-', placeholder: 'INV-000000' };
  const year = issuedAt.getUTCFullYear();
  return { sequence: `credit_note:${year}`, prefix: `CN-${year}-`, placeholder: `CN-${year}-000000` };
}
