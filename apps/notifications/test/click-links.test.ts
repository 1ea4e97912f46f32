import { randomUUID } from 'node:crypto';
import { loadEnv } from '@platform/config/env';
import { verifyOrderLink } from '@platform/config/order-links';
import type { Order } from '@platform/contracts/api/orders';
import type { SmtpSinkHandle } from '@platform/devstack';
import { AdjustableClock } from '@platform/runtime/clock';
import { createHttpServer, type PlatformHttpServer } from '@platform/runtime/http';
import { createLogger } from '@platform/runtime/logger';
import { createMetrics } from '@platform/runtime/metrics';
import { BackgroundNats } from '@platform/runtime/background-nats';
import { httpServerSettings } from '@platform/runtime/service';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildGateway } from '../../gateway/src/app';
import { gatewayEnv } from '../../gateway/src/config';
import { planStatusNotifications } from '../src/application/notifications';
import { type AdminService, OPS, ORDER_LINK_SECRET, PUBLIC_BASE_URL, startAdminService, startSink, storeOrder } from './admin-service';
import { sampleOrder } from './orders';

/*
 * Clicks from signed redirect links (docs/notification-admin.md#clicks): the links of an email
 * lead through the gateway's public `/c/<token>`; notifications checks the signature, counts the
 * first click and redirects to the signed target; a changed token redirects nowhere.
 */

const clock = new AdjustableClock();
let sink: SmtpSinkHandle;
let service: AdminService;
let gateway: PlatformHttpServer;

beforeAll(async () => {
  sink = await startSink();
  service = await startAdminService(sink, { clock });
  const env = loadEnv(gatewayEnv, { NOTIFICATIONS_URL: service.url, NATS_URL: inject('natsUrl'), LOG_LEVEL: 'silent' });
  const [log, metrics] = [createLogger('gateway', 'silent'), createMetrics('gateway')];
  gateway = createHttpServer({ log, metrics, readiness: {}, ...httpServerSettings(env) });
  await buildGateway(gateway, env, { metrics, clock, nats: new BackgroundNats(env, 'gateway', log) });
});

afterAll(async () => {
  await gateway?.close();
  await service?.stop();
  await sink?.stop();
});

/** A confirmed order's email, planned and sent as the consumer and the send timer do it. */
async function confirmationEmail(order: Order) {
  await storeOrder(service, order);
  const change = {
    orderId: order.id,
    number: order.number,
    status: 'confirmed',
    actor: 'billing',
    customerName: order.customer.name,
    customer: order.customer,
    total: order.totals.total,
    currency: order.currency,
    tracking: null,
  };
  await service.db.$transaction((tx) => planStatusNotifications(service.deps, tx, change, randomUUID(), clock.now()));
  await service.timers.fireDue();
  return service.db.notification.findFirstOrThrow({ where: { orderId: order.id, channel: 'email' } });
}

const follow = (path: string) => gateway.inject({ method: 'GET', url: path, headers: { 'accept-language': 'es' } });

describe('click links', () => {
  it('counts the first click through the gateway once and redirects every click to the signed order page', async () => {
    const order = sampleOrder(clock.now(), 'es');
    const email = await confirmationEmail(order);
    expect(email).toMatchObject({ status: 'delivered', clickedAt: null });
    // The order page link of the email goes through the click redirect; the order page itself is its target.
    const href = /href="(https:\/\/shop\.example\/c\/[^"]+)"/.exec(email.html ?? '')?.[1];
    expect(href, 'a click link in the HTML').toBeDefined();
    expect(email.body).toContain(href);
    expect(email.html).not.toContain(`${PUBLIC_BASE_URL}/orders/`);
    const path = new URL(href!).pathname;

    const first = await follow(path);
    expect(first.statusCode).toBe(302);
    // The order page with a working link, as the email would have carried it without click tracking.
    const location = new URL(String(first.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(`${PUBLIC_BASE_URL}/orders/${order.id}`);
    expect(verifyOrderLink(ORDER_LINK_SECRET, order.id, location.searchParams.get('t') ?? '', clock.now()).ok).toBe(true);
    const clicked = await service.db.notification.findUniqueOrThrow({ where: { id: email.id } });
    expect(clicked.status).toBe('clicked');
    expect(clicked.clickedAt).not.toBeNull();

    clock.advance(60_000);
    const again = await follow(path);
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toBe(first.headers.location);
    expect((await service.db.notification.findUniqueOrThrow({ where: { id: email.id } })).clickedAt).toEqual(clicked.clickedAt);

    const analytics = (await service.app.inject({ method: 'GET', url: '/notification-analytics', headers: OPS })).json();
    expect(analytics.rows.find((r: { template: string; channel: string; locale: string }) => r.template === 'order-confirmation' && r.channel === 'email' && r.locale === 'es')).toMatchObject({
      sent: 1,
      delivered: 1,
      clicked: 1,
    });
  });

  it('refuses a changed token with a page, redirecting nowhere and counting nothing', async () => {
    const email = await confirmationEmail(sampleOrder(clock.now(), 'en'));
    const token = /https:\/\/shop\.example\/c\/([^"\s]+)/.exec(email.body ?? '')![1]!;
    const [payload, signature] = token.split('.');
    // The same signature over another target (a tracking page of our choosing instead of the order page).
    const elsewhere = Buffer.concat([Buffer.from(payload!, 'base64url').subarray(0, 20), Buffer.from('tZZ999999999')]).toString('base64url');
    for (const bad of [`${elsewhere}.${signature}`, `${payload}.${signature!.slice(1)}x`, 'not-a-token']) {
      const refused = await follow(`/c/${bad}`);
      expect(refused.statusCode, bad).toBe(400);
      expect(refused.headers.location).toBeUndefined();
      expect(refused.headers['content-type']).toContain('text/html');
      expect(refused.body).toContain('Este enlace no funciona');
    }
    // The service itself answers a problem document.
    const direct = await service.app.inject({ method: 'GET', url: `/c/${elsewhere}.${signature}` });
    expect(direct.statusCode).toBe(400);
    expect(direct.headers['content-type']).toContain('application/problem+json');
    expect(direct.json()).toMatchObject({ code: 'CLICK_LINK_INVALID' });
    expect(await service.db.notification.findUniqueOrThrow({ where: { id: email.id } })).toMatchObject({ status: 'delivered', clickedAt: null });
  });
});
