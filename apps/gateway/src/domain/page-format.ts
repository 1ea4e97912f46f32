/**
 * Money and dates as a customer reads them, through Intl in the page's language. Amounts are
 * minor units (cents); the currency's own number of decimals turns them into an amount.
 */

export function formatMoney(minorUnits: number, currency: string, locale: string): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** decimals);
}

/** A moment with its time; `timeZone` is the customer's (UTC on public pages, named so). */
export function formatDateTime(iso: string, locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZone,
    ...(timeZone === 'UTC' && { timeZoneName: 'short' }),
  }).format(new Date(iso));
}

/** A day, for promises and estimates. */
export function formatDate(iso: string, locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(new Date(iso));
}

/** A window of days, or one day when both ends fall on it. */
export function formatDateRange(startIso: string, endIso: string, locale: string, timeZone: string): string {
  const format = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone });
  const start = new Date(startIso);
  const end = new Date(endIso);
  return format.format(start) === format.format(end) ? format.format(start) : format.formatRange(start, end);
}
