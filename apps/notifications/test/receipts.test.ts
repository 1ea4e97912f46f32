import { createHmac } from 'node:crypto';
import { LOCAL_PROVIDER_CREDENTIALS } from '@platform/simulators';
import { eventually } from '@platform/test-support/eventually';
import { describe, expect, it } from 'vitest';
import { order, placeAndConfirm, service, sims, statusCallbackUrl } from './fixture';

/*
 * Delivery receipts (docs/notification-admin.md): the Twilio simulator posts signed status
 * callbacks for each SMS; the service checks the signature, marks the SMS delivered or failed,
 * and never moves a notification backwards.
 */

const OPS = { 'x-actor-role': 'ops', 'x-actor': 'ops:key-ana' };
const { authToken } = LOCAL_PROVIDER_CREDENTIALS.twilio;

/** A callback as Twilio signs it (the algorithm written out here, apart from the service's). */
function callback(notificationId: string, params: Record<string, string>, token: string = authToken) {
  const url = `${statusCallbackUrl}?notification=${notificationId}`;
  const signed = url + Object.keys(params).sort().map((name) => name + params[name]).join('');
  return {
    method: 'POST' as const,
    url: `/webhooks/twilio?notification=${notificationId}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': createHmac('sha1', token).update(signed).digest('base64') },
    payload: new URLSearchParams(params).toString(),
  };
}

async function smsCustomer(locale: 'en' | 'es') {
  const o = order(locale);
  const phone = `+3461${Math.floor(1e6 + Math.random() * 8e6)}`;
  const update = await service.app.inject({
    method: 'PUT',
    url: `/customers/${o.customer.id}/preferences`,
    payload: { phoneNumber: phone, channels: { sms: { order_confirmed: true } }, quietHours: null },
  });
  expect(update.statusCode).toBe(200);
  return { o, phone };
}

const smsRow = (orderId: string) => service.db.notification.findFirst({ where: { orderId, channel: 'sms' } });

describe('SMS status callbacks', () => {
  it("marks an SMS delivered from Twilio's signed callback, and a late or forged one changes nothing", async () => {
    const { o } = await smsCustomer('es');
    await placeAndConfirm(o);
    const row = await eventually(() => smsRow(o.id), (n) => n?.status === 'delivered', 20_000);
    expect(row!.deliveredAt).not.toBeNull();
    expect(row!.providerMessageId).toMatch(/^SM/);
    const simMessage = ((await (await fetch(`${sims.baseUrl('twilio')}/_sim/messages`)).json()) as Array<{ sid: string; status: string }>).find((m) => m.sid === row!.providerMessageId);
    expect(simMessage?.status).toBe('delivered');

    // Signed with another token, or a tampered body: refused, nothing changes.
    const forged = callback(row!.id, { MessageSid: row!.providerMessageId!, MessageStatus: 'undelivered' }, 'not-the-token');
    const refused = await service.app.inject(forged);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const tampered = callback(row!.id, { MessageSid: row!.providerMessageId!, MessageStatus: 'sent' });
    expect((await service.app.inject({ ...tampered, payload: tampered.payload.replace('sent', 'failed') })).statusCode).toBe(403);

    // Genuine but late (sent, then undelivered after delivered): acknowledged, never backwards.
    for (const status of ['sent', 'undelivered']) {
      const late = await service.app.inject(callback(row!.id, { MessageSid: row!.providerMessageId!, MessageStatus: status }));
      expect(late.statusCode).toBe(200);
      expect(late.json()).toEqual({ received: true, applied: false });
    }
    expect(await smsRow(o.id)).toMatchObject({ status: 'delivered', failedAt: null });

    const analytics = (await service.app.inject({ method: 'GET', url: '/notification-analytics', headers: OPS })).json();
    const smsEs = analytics.rows.find((r: { template: string; channel: string; locale: string }) => r.template === 'order-confirmation' && r.channel === 'sms' && r.locale === 'es');
    expect(smsEs).toMatchObject({ sent: 1, delivered: 1, failed: 0 });
  });

  it('marks an SMS the carrier could not deliver failed', async () => {
    // Until switched back: messages of other test files' orders may be sent meanwhile.
    const behaviour = `${sims.baseUrl('twilio')}/_sim/behaviour`;
    await fetch(behaviour, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'ok', options: { receipt: 'undelivered' } }) });
    const { o } = await smsCustomer('en');
    await placeAndConfirm(o);
    const row = await eventually(() => smsRow(o.id), (n) => n?.status === 'failed', 20_000);
    await fetch(behaviour, { method: 'DELETE' });
    expect(row).toMatchObject({ deliveredAt: null, lastError: 'twilio undelivered (error 30003)' });
  });
});
