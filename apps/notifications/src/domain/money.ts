/** One formatter per locale and currency: building an Intl.NumberFormat costs far more than formatting with one. */
const formatters = new Map<string, { format: Intl.NumberFormat; divisor: number }>();

/** Formats integer minor units for people: 12345 EUR in `es` → "123,45 €". */
export function formatMoney(minorUnits: number, currency: string, locale: string): string {
  const key = `${locale}|${currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formatter = { format, divisor: 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2) };
    formatters.set(key, formatter);
  }
  return formatter.format.format(minorUnits / formatter.divisor);
}
