/** Human-facing order number: `ORD-000042`. */
export function formatOrderNumber(sequence: number): string {
  return `ORD-${String(sequence).padStart(6, '0')}`;
}
