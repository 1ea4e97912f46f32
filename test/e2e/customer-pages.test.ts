import { signOrderLink } from '@platform/config/order-links';
import type { Order } from '@platform/contracts/api/orders';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceFulfillmentUntil,
  carrierScan,
  checkoutSession,
  getBilling,
  getTracking,
  lifecycleOrder,
  pay,
  placeOrder,
  SUPPLIER_POLL,
  waitForWorkflow,
  withoutQuietHours,
} from '@platform/test-support/lifecycle';
import { DEV_CUSTOMER_ID, DEV_KEYS, eventually, type Platform, startPlatform } from '@platform/test-support/platform';
import { accessibilityViolations, type Browser, startBrowser } from '../support/browser';

/**
 * The pages people use (docs/customer-pages.md), in headless chromium against the whole platform:
 * the order page by its signed link, updating by itself as the courier scans the parcel; the
 * public tracking page without personal data; refusals as pages for people; each page free of
 * accessibility violations (axe-core) and of CSP violations.
 */

/** The devstack's local secret (packages/devstack/src/stack.ts): the emails' links are signed with it. */
const ORDER_LINK_SECRET = 'local-stack-order-link-secret-not-for-deployment';
const link = (orderId: string, expiresAt = new Date(Date.now() + 3_600_000)) => signOrderLink(ORDER_LINK_SECRET, orderId, expiresAt);

let platform: Platform;
let browser: Browser;
/** An order of a Spanish-speaking customer, paid and shipped: its parcel is at the carrier. */
let order: Order;
let trackingNumber: string;
let customer: ReturnType<typeof lifecycleOrder>;

beforeAll(async () => {
  platform = await startPlatform();
  browser = await startBrowser({ locale: 'es-ES' });
  customer = lifecycleOrder('cj', 'es');
  await withoutQuietHours(platform, customer.customer.id);
  order = await placeOrder(platform, customer);
  await pay(platform, order.id);
  await waitForWorkflow(platform, order.id, 'payment_confirmed');
  await platform.advanceClock('fulfillment', 61_000);
  await waitForWorkflow(platform, order.id, 'placed_with_supplier');
  const shipped = await advanceFulfillmentUntil(platform, order.id, 'shipped', SUPPLIER_POLL + 1_000);
  trackingNumber = shipped.shipments[0]!.trackingNumber!;
  // Scans reach tracking once it registered the number with the provider.
  await eventually(() => getTracking(platform, order.id), (t) => t.shipments?.[0]?.provider === '17track');
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

async function open(path: string): Promise<{ page: Page; status: number | undefined; contentType: string | undefined }> {
  const page = await browser.newPage();
  const response = await page.goto(`${platform.stack.gatewayUrl}${path}`);
  return { page, status: response?.status(), contentType: response?.headers()['content-type'] };
}

const timelineTexts = (page: Page) => page.locator('[data-timeline] li .entry-text').allTextContents();

describe('the order page', () => {
  it("opens by the email's signed link in the customer's language, and updates by itself as the courier scans the parcel", async () => {
    const { page, status } = await open(`/orders/${order.id}?t=${link(order.id)}`);
    expect(status).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('es');
    expect(await page.textContent('h1')).toBe(`Pedido ${order.number}`);
    const main = (await page.textContent('main'))!;
    expect(main).toContain('Travel mug');
    expect(main).toContain('25,00\u00a0€');
    expect(main).toContain(trackingNumber);
    // The order's number, never its id.
    expect(main).not.toContain(order.id);
    const carrierLink = await page.locator('.parcels a.button').getAttribute('href');
    expect(carrierLink).toMatch(/^https:\/\//);
    expect(await page.locator('.parcels a', { hasText: trackingNumber }).getAttribute('href')).toBe(`/track/${trackingNumber}`);

    // The history is in; then each scan the courier makes appears without a reload.
    await page.locator('[data-live-state]', { hasText: 'Esta página se actualiza sola.' }).waitFor();
    const before = await timelineTexts(page);
    expect(before).not.toContain(`Paquete ${trackingNumber}: En camino`);
    // Each message sent names what it told the customer.
    await page.locator('[data-timeline] li', { hasText: 'Confirmación del pedido: te lo enviamos por correo electrónico' }).first().waitFor();
    // A mark on this document: a reload would lose it.
    await page.evaluate('window.sameDocument = true');

    await carrierScan(platform, trackingNumber); // info_received
    await carrierScan(platform, trackingNumber); // in_transit
    await page.locator('[data-timeline] li', { hasText: `Paquete ${trackingNumber}: En camino` }).waitFor();
    await page.locator('[data-timeline] li', { hasText: 'Madrid, ES' }).first().waitFor();
    expect(await page.textContent('[data-announcer]')).toMatch(/^Novedad: /);
    expect(await page.textContent('[data-live-state]')).toBe('Esta página se actualiza sola.');
    expect(await page.textContent(`[data-parcel-status="${trackingNumber}"]`)).toBe('En camino');
    // The same document all along: it updated itself.
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect((await timelineTexts(page)).length).toBeGreaterThan(before.length);

    expect(await accessibilityViolations(page)).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
    await page.close();
  });

  it('follows again when the gateway refuses its live stream at first, and then updates by itself', async () => {
    const page = await browser.newPage();
    // The first stream is answered as a gateway whose NATS connection is not up yet answers it.
    let streams = 0;
    await page.route(
      (url) => url.pathname.endsWith('/live'),
      (route) =>
        ++streams === 1
          ? route.fulfill({
              status: 503,
              headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
              body: JSON.stringify({ type: 'about:blank', title: 'Live updates are unavailable for the moment; retry after the time in Retry-After', status: 503, code: 'LIVE_UNAVAILABLE' }),
            })
          : route.continue(),
    );
    await page.goto(`${platform.stack.gatewayUrl}/orders/${order.id}?t=${link(order.id)}`);
    await page.locator('[data-live-state]', { hasText: 'Esta página se actualiza sola.' }).waitFor();
    expect(streams).toBeGreaterThanOrEqual(2);
    await carrierScan(platform, trackingNumber); // out_for_delivery
    await page.locator('[data-timeline] li', { hasText: `Paquete ${trackingNumber}: En reparto` }).waitFor();
    expect(browser.cspViolations).toEqual([]);
    await page.close();
  });

  it('opens by the customer API key typed into its form, which the tab keeps for the payment pages', async () => {
    // An order of the development customer key's own customer.
    const body = lifecycleOrder('cj', 'ro');
    const own = await placeOrder(platform, { ...body, customer: { ...body.customer, id: DEV_CUSTOMER_ID } });
    const { page, status } = await open(`/orders/${own.id}`);
    expect(status).toBe(200);
    expect(await page.textContent('h1')).toBe('Abre tu pedido');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('Tu clave de API').fill(DEV_KEYS.customer);
    await page.getByRole('button', { name: 'Abrir el pedido' }).click();
    // The order speaks its customer's language once open.
    await page.locator('h1', { hasText: `Comanda ${own.number}` }).waitFor();
    expect(new URL(page.url()).searchParams.get('t')).toMatch(/^\d+\./);

    await page.goto(`${platform.stack.gatewayUrl}/pay/complete?order=${own.id}`);
    expect(await page.textContent('h1')).toBe('¡Gracias!');
    await page.getByRole('link', { name: 'Ver tu pedido' }).click();
    await page.locator('h1', { hasText: `Comanda ${own.number}` }).waitFor();
    expect(browser.cspViolations).toEqual([]);
    await page.close();
  });
});

describe('refusals are pages for people', () => {
  it('a forged link gets a page in the visitor’s language with the key form, not JSON', async () => {
    const forged = link(order.id).replace(/\.(.)/, (_, first: string) => `.${first === 'A' ? 'B' : 'A'}`);
    const { page, status, contentType } = await open(`/orders/${order.id}?t=${forged}`);
    expect(status).toBe(403);
    expect(contentType).toMatch(/^text\/html/);
    expect(await page.textContent('h1')).toBe('Este enlace no funciona');
    expect(await page.textContent('main')).not.toContain(order.number);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  });

  it('an expired link says so', async () => {
    const { page, status } = await open(`/orders/${order.id}?t=${link(order.id, new Date(Date.now() - 60_000))}`);
    expect(status).toBe(403);
    expect(await page.textContent('h1')).toBe('Este enlace ha caducado');
    await page.close();
  });

  it("another customer's key is refused in words, and the page stays where it was", async () => {
    const { page } = await open(`/orders/${order.id}`);
    await page.getByLabel('Tu clave de API').fill(DEV_KEYS.customer);
    await page.getByRole('button', { name: 'Abrir el pedido' }).click();
    await page.locator('[role=alert]', { hasText: 'Esta clave no puede abrir este pedido.' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/orders/${order.id}`);
    expect(await page.textContent('main')).not.toContain(order.number);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.close();
  });
});

describe('the public tracking page', () => {
  it('shows status, carrier, link and scans with places and times, and no name, email, address or order', async () => {
    // A carrier's free text can name who signed: the page must not pass it on.
    const push = await platform.simulators.post('17track/_sim/push', {
      json: { number: trackingNumber, status: 'out_for_delivery', description: `Out for delivery to ${customer.customer.name}, ${customer.shippingAddress.line1}` },
    });
    expect(push.statusCode, JSON.stringify(push.body)).toBe(200);
    await eventually(() => getTracking(platform, order.id), (t) => t.shipments[0]?.status === 'out_for_delivery');

    const { page, status } = await open(`/track/${trackingNumber}`);
    expect(status).toBe(200);
    const text = (await page.textContent('body'))!;
    expect(await page.textContent('h1')).toBe(`Paquete ${trackingNumber}`);
    expect(text).toContain('En reparto');
    expect(text).toContain('Madrid, ES');
    const tracking = (await getTracking(platform, order.id)).shipments[0]!;
    expect(await page.locator('.timeline time').count()).toBe(tracking.events.length);
    expect(text).toContain(tracking.carrier!.name);
    expect(await page.locator('a.button').getAttribute('href')).toBe(tracking.trackingUrl);

    const html = await page.content();
    for (const personal of [customer.customer.name, 'Ana', 'García', customer.customer.email, customer.shippingAddress.line1, customer.shippingAddress.postalCode, customer.shippingAddress.phone!, order.number, order.id]) {
      expect(html, personal).not.toContain(personal);
    }
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
    await page.close();
  });

  it('an unknown number is a page for people', async () => {
    const { page, status, contentType } = await open('/track/ZZ000000000ZZ');
    expect(status).toBe(404);
    expect(contentType).toMatch(/^text\/html/);
    expect(await page.textContent('h1')).toBe('No encontramos este paquete');
    await page.close();
  });
});

describe('the payment return pages', () => {
  /** A new unpaid order of the Spanish-speaking customer, and the provider's payment page of its checkout open in a tab. */
  async function openPaymentPage(): Promise<{ fresh: Order; page: Page; paymentUrl: string }> {
    const fresh = await placeOrder(platform, lifecycleOrder('cj', 'es'));
    const sessionId = await checkoutSession(platform, fresh.id);
    const session = (await getBilling(platform, fresh.id)).payments[0]!.checkoutSessions.find((s) => s.providerSessionId === sessionId)!;
    const page = await browser.newPage();
    await page.goto(session.url!);
    return { fresh, page, paymentUrl: session.url! };
  }

  it("thank the customer in the order's language and link the order by its number when the visitor holds its link", async () => {
    const token = link(order.id);
    const { page } = await open(`/pay/complete?order=${order.id}&t=${token}`);
    expect(await page.textContent('h1')).toBe('¡Gracias!');
    expect(await page.getByRole('link', { name: `Ver el pedido ${order.number}` }).getAttribute('href')).toBe(`/orders/${order.id}?t=${token}`);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  });

  it('after paying on the provider’s page, the customer lands on a page that names the order and opens it', async () => {
    const { fresh, page } = await openPaymentPage();
    await page.getByRole('button', { name: /^Pagar \d/ }).click();
    await page.waitForURL(/\/pay\/complete\?/);
    expect(await page.textContent('h1')).toBe('¡Gracias!');
    await page.getByRole('link', { name: `Ver el pedido ${fresh.number}` }).click();
    await page.locator('h1', { hasText: `Pedido ${fresh.number}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/orders/${fresh.id}`);
    await page.close();
  });

  it('after giving up on the provider’s page, the customer lands on a page that leads back to it and to the order', async () => {
    const { fresh, page, paymentUrl } = await openPaymentPage();
    await page.getByRole('link', { name: 'Volver' }).click();
    await page.waitForURL(/\/pay\/cancelled\?/);
    expect(await page.textContent('h1')).toBe('Pago cancelado');
    expect(await page.getByRole('link', { name: `Ver el pedido ${fresh.number}` }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Volver al pago' }).click();
    await page.getByRole('button', { name: /^Pagar \d/ }).waitFor();
    expect(page.url()).toBe(paymentUrl);
    await page.close();
  });

  it('say a cancelled payment charged nothing, and link nothing to a visitor without access', async () => {
    const { page, status } = await open(`/pay/cancelled?order=${order.id}`);
    expect(status).toBe(200);
    expect(await page.textContent('h1')).toBe('Pago cancelado');
    expect(await page.locator('main a').count()).toBe(0);
    expect(await page.textContent('main')).not.toContain(order.number);
    await page.close();
  });
});
