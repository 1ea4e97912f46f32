import { describe, expect, it } from 'vitest';
import { CJ_AUTH_INTERVAL_MS, CjClient, cjOrderStatus } from './cj';
import type { SupplierCall } from './supplier-client';
import { type HttpClient, SupplierHttp } from './supplier-http';

describe('cjOrderStatus', () => {
  it.each([
    ['CREATED', 'placed'],
    ['IN_CART', 'placed'],
    ['UNPAID', 'placed'],
    ['UNSHIPPED', 'confirmed'],
    ['SHIPPED', 'shipped'],
    ['DELIVERED', 'delivered'],
    ['CANCELLED', 'cancelled'],
    ['SOMETHING_NEW', 'placed'],
  ] as const)('%s → %s', (orderStatus, status) => {
    expect(cjOrderStatus({ orderStatus }).status).toBe(status);
  });

  it('carries the tracking number and logistics name once shipped', () => {
    expect(cjOrderStatus({ orderStatus: 'SHIPPED', trackNumber: 'RR123456785CN', logisticName: 'CJPacket Ordinary' })).toEqual({
      status: 'shipped',
      trackingNumber: 'RR123456785CN',
      carrier: 'CJPacket Ordinary',
      reason: null,
    });
    expect(cjOrderStatus({ orderStatus: 'UNSHIPPED', trackNumber: 'RR123456785CN' }).trackingNumber).toBeNull();
  });
});

/** A scripted CJ: answers token requests and order details, refusing tokens listed in `revoked`. */
function fakeCj() {
  const revoked = new Set<string>();
  const sent: Array<{ path: string; token: string | undefined }> = [];
  let issued = 0;
  const http = (async (path: string, options: { headers?: Record<string, string> }) => {
    const token = options.headers?.['CJ-Access-Token'];
    sent.push({ path, token });
    const reply = (statusCode: number, body: unknown) => ({ statusCode, body: JSON.stringify(body) });
    if (path === 'authentication/getAccessToken') {
      issued += 1;
      return reply(200, { code: 200, result: true, message: 'Success', data: { accessToken: `token-${issued}`, accessTokenExpiryDate: '2099-01-01T00:00:00Z' } });
    }
    if (!token || revoked.has(token)) return reply(401, { code: 1600001, result: false, message: 'Invalid API key or access token', data: null });
    return reply(200, { code: 200, result: true, message: 'Success', data: { orderId: 'CJ1', orderStatus: 'UNSHIPPED' } });
  }) as unknown as HttpClient;
  return { http, revoked, sent };
}

describe('CjClient access token', () => {
  it('requests a new token when CJ refuses the cached one, once the 5-minute limit allows, and repeats the call', async () => {
    const cj = fakeCj();
    const calls: SupplierCall[] = [];
    let now = Date.parse('2026-11-22T00:00:00Z');
    const client = new CjClient(new SupplierHttp('cj', cj.http, async (call) => void calls.push(call), ['key']), { apiKey: 'key', now: () => now });

    expect((await client.getOrderStatus('CJ1')).status).toBe('confirmed');
    cj.revoked.add('token-1');
    await expect(client.getOrderStatus('CJ1')).rejects.toThrow(/one token request per 5 minutes/);

    now += CJ_AUTH_INTERVAL_MS;
    expect((await client.getOrderStatus('CJ1')).status).toBe('confirmed');
    expect(cj.sent.map((s) => `${s.path}:${s.token ?? '-'}`)).toEqual([
      'authentication/getAccessToken:-',
      'shopping/order/getOrderDetail:token-1',
      'shopping/order/getOrderDetail:token-1',
      // The refused token was dropped: the next call asks for a new one first.
      'authentication/getAccessToken:-',
      'shopping/order/getOrderDetail:token-2',
    ]);
    expect(calls.map((c) => `${c.operation}:${c.outcome}`)).toEqual([
      'authenticate:ok',
      'status:ok',
      'status:rejected',
      'authenticate:ok',
      'status:ok',
    ]);
  });

  it('repeats a call refused for its token with a fresh token, when the last token request is old enough', async () => {
    const cj = fakeCj();
    let now = Date.parse('2026-11-22T00:00:00Z');
    const client = new CjClient(new SupplierHttp('cj', cj.http, async () => undefined, ['key']), { apiKey: 'key', now: () => now });
    await client.getOrderStatus('CJ1');
    now += CJ_AUTH_INTERVAL_MS + 1;
    cj.revoked.add('token-1');
    expect((await client.getOrderStatus('CJ1')).status).toBe('confirmed');
    expect(cj.sent.slice(2).map((s) => `${s.path}:${s.token ?? '-'}`)).toEqual([
      'shopping/order/getOrderDetail:token-1',
      'authentication/getAccessToken:-',
      'shopping/order/getOrderDetail:token-2',
    ]);
  });
});
