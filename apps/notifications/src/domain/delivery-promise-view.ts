import type { DeliveryPromise } from '@platform/contracts';
import { dateTimeFormat } from './date-format';

/*
 * The delivery promise and the carrier's estimate as a customer reads them
 * (docs/delivery-promise.md). A standard or express promise is a span of calendar days (UTC days,
 * as orders counts them), shown as dates; a scheduled delivery is the customer's own window of
 * hours, shown on their clock.
 */

export interface Audience {
  locale: string;
  timezone: string;
}

/** "10–14 December 2026", "12 December 2026", or "12 December 2026, 10:00–12:00" for a scheduled window. */
export function formatPromise(promise: DeliveryPromise, audience: Audience): string {
  const start = new Date(promise.earliest);
  const end = new Date(promise.latest);
  if (promise.deliveryType === 'scheduled') {
    return dateTimeFormat(audience.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: audience.timezone }).formatRange(start, end);
  }
  const days = dateTimeFormat(audience.locale, { dateStyle: 'long', timeZone: 'UTC' });
  return days.formatRange(start, end);
}

/** The carrier's estimate: a date. */
export function formatEstimate(estimatedDelivery: string, audience: Audience): string {
  return dateTimeFormat(audience.locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(estimatedDelivery));
}
