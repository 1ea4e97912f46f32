import { customerTimelineFilter, orderTimelineFilter, timelineSubject } from '@platform/contracts';
import { describe, expect, it } from 'vitest';
import { customerGrant, orderGrantForKey, orderGrantForLink, resumeCursor, serverSentEvent, stillAllowed } from './live-access';

const ORDER = '11111111-1111-4111-8111-111111111111';
const customer = { keyId: 'shop', role: 'customer' as const, customerId: 'cust-1' };
const ops = { keyId: 'desk', role: 'ops' as const };

describe('who follows what live', () => {
  it("keeps a customer's key to its own customer's subjects, and lets staff follow anyone's", () => {
    expect(orderGrantForKey(customer, ORDER)).toEqual({ filter: timelineSubject('cust-1', ORDER), audience: 'customer', expiresAt: null });
    expect(orderGrantForKey(ops, ORDER)).toEqual({ filter: orderTimelineFilter(ORDER), audience: 'all', expiresAt: null });
    expect(customerGrant(customer, 'cust-1')).toEqual({ filter: customerTimelineFilter('cust-1'), audience: 'customer', expiresAt: null });
    expect(customerGrant(customer, 'cust-2')).toBeNull();
    expect(customerGrant({ keyId: 'acme', role: 'vendor', vendorId: 'acme' }, 'cust-1')).toBeNull();
    expect(customerGrant(ops, 'cust-2')?.audience).toBe('all');
  });

  it('ends when the link or the key expires', () => {
    const link = orderGrantForLink(ORDER, new Date('2026-12-04T10:00:00Z'));
    expect(stillAllowed(link, undefined, new Date('2026-12-04T09:59:59Z'))).toBe(true);
    expect(stillAllowed(link, undefined, new Date('2026-12-04T10:00:00Z'))).toBe(false);
    const expiring = { ...customer, expiresAt: new Date('2026-12-05T00:00:00Z') };
    const grant = orderGrantForKey(expiring, ORDER);
    expect(stillAllowed(grant, expiring, new Date('2026-12-04T23:00:00Z'))).toBe(true);
    expect(stillAllowed(grant, expiring, new Date('2026-12-05T00:00:01Z'))).toBe(false);
  });

  it('reads Last-Event-ID as a stream sequence and nothing else', () => {
    expect(resumeCursor(undefined)).toBeUndefined();
    expect(resumeCursor('42')).toBe(42);
    expect(resumeCursor(' 7 ')).toBe(7);
    for (const bad of ['', 'abc', '-1', '1.5', '1e3', '9999999999999999']) expect(resumeCursor(bad)).toBeNull();
  });

  it('writes one event per message, data on one line', () => {
    expect(serverSentEvent({ id: 3, event: 'entry', data: { text: 'a\nb' } })).toBe('id: 3\nevent: entry\ndata: {"text":"a\\nb"}\n\n');
    expect(serverSentEvent({ event: 'end', data: { reason: 'access_expired' } })).toBe('event: end\ndata: {"reason":"access_expired"}\n\n');
  });
});
