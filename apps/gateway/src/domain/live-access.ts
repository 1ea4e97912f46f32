import { customerTimelineFilter, orderTimelineFilter, type TimelineEntry, timelineSubject } from '@platform/contracts';
import { keyStillValid, type Principal } from './api-keys';

/**
 * What a live stream (GW-03) may carry, decided once when it opens: the TIMELINE subjects it
 * reads, whether it sees only the customer's entries, and until when the caller's access holds
 * (checked again at every heartbeat and entry; when it no longer holds, the stream ends).
 */
export interface LiveGrant {
  filter: string;
  audience: 'customer' | 'all';
  /** The API key's expiry or the signed link's; null: the access does not expire. */
  expiresAt: Date | null;
}

/**
 * One order, by API key. A customer's stream reads the order's subject under their own customer
 * only, so even an order that is not theirs could carry nothing of anyone else's; staff read
 * the order under whichever customer it is.
 */
export function orderGrantForKey(principal: Principal, orderId: string): LiveGrant {
  const expiresAt = principal.expiresAt ?? null;
  if (principal.role === 'customer') return { filter: timelineSubject(principal.customerId!, orderId), audience: 'customer', expiresAt };
  return { filter: orderTimelineFilter(orderId), audience: 'all', expiresAt };
}

/** One order, by the signed link from the customer's emails: the customer's entries, until the link expires. */
export function orderGrantForLink(orderId: string, linkExpiresAt: Date): LiveGrant {
  return { filter: orderTimelineFilter(orderId), audience: 'customer', expiresAt: linkExpiresAt };
}

/** Every order of one customer: a customer key for its own customer, staff for anyone's; null: not this caller's. */
export function customerGrant(principal: Principal, customerId: string): LiveGrant | null {
  if (principal.role === 'vendor' || (principal.role === 'customer' && principal.customerId !== customerId)) return null;
  return { filter: customerTimelineFilter(customerId), audience: principal.role === 'customer' ? 'customer' : 'all', expiresAt: principal.expiresAt ?? null };
}

export function stillAllowed(grant: LiveGrant, principal: Principal | undefined, now: Date): boolean {
  if (principal && !keyStillValid(principal, now)) return false;
  return grant.expiresAt === null || grant.expiresAt.getTime() > now.getTime();
}

export function visibleTo(grant: LiveGrant, entry: TimelineEntry): boolean {
  return grant.audience === 'all' || entry.audience === 'customer';
}

/**
 * `Last-Event-ID` as a reconnecting EventSource sends it: the cursor (stream sequence) of the
 * last entry the client has. Absent: undefined; anything but a sequence: null (refused).
 */
export function resumeCursor(header: string | string[] | undefined): number | undefined | null {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}

/** One server-sent event: `id`, `event` and a one-line JSON `data`. */
export function serverSentEvent(message: { id?: number; event: string; data: unknown }): string {
  return `${message.id === undefined ? '' : `id: ${message.id}\n`}event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
}
