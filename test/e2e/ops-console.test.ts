import type { Order } from '@platform/contracts/api/orders';
import type { Page } from 'playwright-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import type { ReturnView } from '@platform/contracts/api/returns';
import { s10TrackingNumber } from '@platform/simulators/tracking-numbers';
import { deliverParcel, getBilling, getOrder, lifecycleOrder, pay, placeOrder, placePaidOrder, waitForStatus, waitForWorkflow } from '@platform/test-support/lifecycle';
import { DEV_KEYS, eventually, type Platform, startPlatform } from '@platform/test-support/platform';
import { accessibilityViolations, type Browser, startBrowser } from '../support/browser';

/**
 * The ops console (docs/console.md) in headless chromium against the whole platform: only ops
 * and admin keys get in; a consumer that dead-lettered an order's events for real (a database
 * fault it cannot get past) moves the order on once the fault is gone and the operator retries
 * the dead letters from the console; every view passes axe-core with no serious violation, and
 * lag and timers list every service's.
 */

let platform: Platform;
let browser: Browser;

beforeAll(async () => {
  // One failed handling dead-letters at once (instead of after eight tries with back-off).
  platform = await startPlatform({ serviceEnv: { orders: { CONSUMER_MAX_DELIVER: '1' } } });
  browser = await startBrowser({ locale: 'en-GB' });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

async function signIn(key: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${platform.stack.gatewayUrl}/console`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

/** axe-core's serious and critical findings only (the brief's bar for the console). */
async function seriousViolations(page: Page) {
  const violations = await accessibilityViolations(page);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

describe('signing in', () => {
  it('refuses a customer key with the API’s reason and lets an ops key in', async () => {
    const refused = await signIn(DEV_KEYS.customer);
    await refused.getByRole('alert').waitFor();
    expect(await refused.getByRole('alert').textContent()).toContain('This route needs the ops role');
    expect(await refused.textContent('h1')).toBe('Sign in');
    expect(await seriousViolations(refused)).toEqual([]);
    await refused.close();

    const page = await signIn(DEV_KEYS.ops);
    await page.locator('h1', { hasText: 'Orders' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Views' }).isVisible()).toBe(true);
    expect(browser.cspViolations).toEqual([]);
    await page.close();
  });
});

describe('dead letters', () => {
  it('retrying them from the console moves their order on once the cause is fixed', async () => {
    const db = new pg.Client({ connectionString: platform.stack.env.ORDERS_DATABASE_URL });
    await db.connect();
    try {
      const order: Order = await placeOrder(platform, lifecycleOrder('cj'));
      // The fault: every status change of this order fails in the orders database, so the
      // orders service's consumers dead-letter the events that would move it.
      await db.query(`CREATE FUNCTION console_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'console test fault'; END $$`);
      await db.query(
        `CREATE TRIGGER console_test_fault BEFORE UPDATE ON orders FOR EACH ROW
         WHEN (NEW.id = '${order.id}'::uuid AND NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION console_test_fault()`,
      );
      await pay(platform, order.id);
      await eventually(() => platform.streamMessages('DEAD_LETTERS', 'deadletter.orders--billing'), (n) => n >= 1);
      expect((await getOrder(platform, order.id)).status).toBe('pending');
      // The cause is fixed.
      await db.query('DROP TRIGGER console_test_fault ON orders');

      const page = await signIn(DEV_KEYS.ops);
      await page.locator('h1', { hasText: 'Orders' }).waitFor();
      await page.getByRole('link', { name: 'Dead letters' }).click();
      await page.locator('h1', { hasText: 'Dead letters' }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      const rows = page.locator('tr', { hasText: order.id });
      expect(await rows.count()).toBeGreaterThanOrEqual(1);
      // Oldest first, each retried where the console shows it; the list reloads after each.
      while ((await rows.count()) > 0) {
        const before = await rows.count();
        await rows.first().getByRole('button', { name: /^Retry dead letter/ }).click();
        await page.locator('#status.ok').waitFor();
        await eventually(() => rows.count(), (n) => n < before);
      }
      const moved = await eventually(() => getOrder(platform, order.id), (o) => o.status !== 'pending');
      expect(moved.status).toBe('confirmed');
      expect(await platform.streamMessages('DEAD_LETTERS', 'deadletter.orders--billing')).toBe(0);

      // The order page shows the payment that had been dead-lettered, in its timeline.
      await page.goto(`${platform.stack.gatewayUrl}/console#/orders/${order.id}`);
      await page.locator('h1', { hasText: `Order ${order.number}` }).waitFor();
      await page.locator('table', { hasText: 'Timeline' }).locator('tr', { hasText: 'payment' }).first().waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      expect(browser.cspViolations).toEqual([]);
      await page.close();
    } finally {
      await db.end();
    }
  });
});

describe('searching orders', () => {
  it('finds an order by its customer’s email in any case and by its number, with the status filter', async () => {
    const [mine, other] = [await placeOrder(platform, lifecycleOrder('cj')), await placeOrder(platform, lifecycleOrder('cj'))];
    const page = await signIn(DEV_KEYS.ops);
    await page.locator('h1', { hasText: 'Orders' }).waitFor();
    const results = page.locator('table', { hasText: 'Orders found' }).locator('tbody tr');

    await page.getByLabel('Order number or email').fill(mine.customer.email.toUpperCase());
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('caption', { hasText: 'Orders found' }).waitFor();
    expect(await results.allTextContents()).toEqual([expect.stringContaining(mine.number)]);

    await page.getByLabel('Order number or email').fill(other.number);
    await page.getByRole('button', { name: 'Search' }).click();
    await eventually(() => results.allTextContents(), (rows) => rows.length === 1 && rows[0]!.includes(other.number));
    // Combined with the status filter: the pending order is not among the delivered ones.
    await page.getByLabel('Status', { exact: true }).selectOption('delivered');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('p.empty', { hasText: 'Orders found' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });
});

describe('returns', () => {
  it('a requested return approved from the console gets its carrier label', async () => {
    const order = await placePaidOrder(platform, lifecycleOrder('own_stock'));
    await waitForWorkflow(platform, order.id, 'supplier_confirmed');
    const trackingNumber = s10TrackingNumber(randomInt(100_000_000), 'RR', 'ES');
    expect((await platform.as(DEV_KEYS.ops).post(`v1/orders/${order.id}/shipments`, { json: { trackingNumber, carrier: 'Correos' } })).statusCode).toBe(201);
    await deliverParcel(platform, order.id, trackingNumber);
    await waitForStatus(platform, order.id, 'delivered');
    const requested = await platform.as(DEV_KEYS.ops).post(`v1/orders/${order.id}/returns`, { json: { items: [{ sku: order.items[0]!.sku, quantity: 1 }], reason: 'Changed my mind' } });
    expect(requested.statusCode, JSON.stringify(requested.body)).toBe(201);
    const rma = requested.body as ReturnView;

    const page = await signIn(DEV_KEYS.ops);
    await page.locator('h1', { hasText: 'Orders' }).waitFor();
    await page.goto(`${platform.stack.gatewayUrl}/console#/returns?status=requested`);
    await page.getByRole('button', { name: `Approve return ${rma.number}` }).click();
    await page.locator('#status.ok').waitFor();
    const returns = (await platform.as(DEV_KEYS.ops).get(`v1/orders/${order.id}/returns`)).body as { returns: ReturnView[] };
    expect(returns.returns.map((r) => [r.number, r.status])).toEqual([[rma.number, 'approved']]);
    expect(returns.returns[0]!.label?.trackingNumber).toMatch(/^RR\d{9}ES$/);
    await page.close();
  });
});

/** Opens the order's page in the console and asks for a refund of 5.00 "goodwill" from its form. */
async function refundFromOrderPage(order: Pick<Order, 'id' | 'number'>): Promise<Page> {
  const page = await signIn(DEV_KEYS.ops);
  await page.locator('h1', { hasText: 'Orders' }).waitFor();
  await page.goto(`${platform.stack.gatewayUrl}/console#/orders/${order.id}`);
  await page.locator('h1', { hasText: `Order ${order.number}` }).waitFor();
  const refund = page.locator('form', { has: page.getByRole('button', { name: 'Refund' }) });
  await refund.getByLabel(/Amount/).fill('5.00');
  await refund.getByLabel('Reason').fill('goodwill');
  await refund.getByRole('button', { name: 'Refund' }).click();
  return page;
}

describe('refunds', () => {
  it('a refund the API refuses shows the problem’s detail', async () => {
    const order = await placeOrder(platform, lifecycleOrder('cj'));
    // Once billing has the order (its checkout opened), what the API answers an unpaid order's refund (the same call the console makes).
    await eventually(() => getBilling(platform, order.id), (b) => (b.payments?.length ?? 0) > 0, 20_000);
    const answer = await fetch(`${platform.stack.gatewayUrl}/v1/orders/${order.id}/refunds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEYS.ops}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 500, reason: 'goodwill' }),
    });
    expect(answer.ok).toBe(false);
    const problem = (await answer.json()) as { detail?: string; title: string };

    const page = await refundFromOrderPage(order);
    await page.locator('#status.error').waitFor();
    expect(await page.locator('#status').textContent()).toBe(`Refund refused: ${problem.detail ?? problem.title}`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('a partial refund from the order page goes through billing to the payment provider', async () => {
    const order = await placePaidOrder(platform, lifecycleOrder('own_stock'));
    const page = await refundFromOrderPage(order);
    await page.locator('#status.ok').waitFor();
    const billing = await eventually(() => getBilling(platform, order.id), (b) => b.refunds.some((r) => r.status === 'succeeded'), 20_000);
    expect(billing.refunds.map((r) => [r.amount, r.status])).toEqual([[500, 'succeeded']]);
    await page.close();
  });
});

describe('metrics', () => {
  it('charts the business metrics the services export, counted once', async () => {
    const before = (await platform.gateway.get('v1/ops/metrics')).body as { series: Record<string, { labels: Record<string, string>; value: number }[]> };
    const placedBefore = before.series.orders_placed_total!.find((s) => s.labels.channel === 'api')!.value;
    await placeOrder(platform, lifecycleOrder('cj'));

    const page = await signIn(DEV_KEYS.ops);
    await page.locator('h1', { hasText: 'Orders' }).waitFor();
    await page.getByRole('link', { name: 'Metrics', exact: true }).click();
    await page.locator('h1', { hasText: 'Metrics' }).waitFor();
    const placed = page.locator('table', { hasText: 'Counts now' }).locator('tr', { hasText: 'orders_placed_total' }).filter({ hasText: 'channel=api' });
    expect(await placed.locator('td').last().textContent()).toBe(String(placedBefore + 1));
    for (const chart of ['orders-per-minute', 'payment-conversion', 'lead-time', 'delivery-time', 'promise-kept', 'exceptions-open', 'notification-success']) {
      expect(await page.locator(`#${chart} canvas`).count(), chart).toBe(1);
    }
    expect(await page.locator('p.error').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
    await page.close();
  });
});

describe('the other views', () => {
  it('show lag, timers, exceptions and returns without serious accessibility violations', async () => {
    const page = await signIn(DEV_KEYS.admin);
    await page.locator('h1', { hasText: 'Orders' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    for (const [link, heading] of [['Lag', 'Lag'], ['Timers', 'Timers'], ['Exceptions', 'Exceptions']] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.locator('h1', { hasText: heading }).waitFor();
      expect(await seriousViolations(page), link).toEqual([]);
    }
    // Returns: the list, or the API's refusal where the returns routes are not there.
    await page.getByRole('link', { name: 'Returns', exact: true }).click();
    await page.locator('h1', { hasText: /^(Returns|Could not load)$/ }).waitFor();
    expect(await seriousViolations(page), 'Returns').toEqual([]);
    // Lag lists every durable consumer of every service.
    await page.getByRole('link', { name: 'Lag', exact: true }).click();
    await page.locator('h1', { hasText: 'Lag' }).waitFor();
    expect(await page.locator('td', { hasText: 'notifications--order-events' }).count()).toBe(1);
    expect(await page.locator('td', { hasText: 'orders--billing' }).count()).toBe(1);
    // Timers of every service: the paid order's processing waits for fulfillment's payment delay.
    await page.getByRole('link', { name: 'Timers', exact: true }).click();
    await page.locator('h1', { hasText: 'Timers' }).waitFor();
    expect(await page.locator('tr', { hasText: 'fulfillment' }).count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('p.error').count()).toBe(0);
    await page.close();
  });
});

describe('templates', () => {
  it('editing a template changes the next email', async () => {
    const marker = 'Edited in the console: thank you for shopping with us.';
    const page = await signIn(DEV_KEYS.admin);
    await page.locator('h1', { hasText: 'Orders' }).waitFor();
    await page.getByRole('link', { name: 'Templates', exact: true }).click();
    await page.locator('h1', { hasText: 'Templates' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Template', { exact: true }).selectOption('order-confirmation');
    await page.getByLabel('Channel', { exact: true }).selectOption('email');
    await page.getByLabel('Locale', { exact: true }).selectOption('en');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('h1', { hasText: 'Template order-confirmation · email · en' }).waitFor();
    expect(await page.getByText('Live: the built-in files').count()).toBe(1);

    const text = page.getByLabel('text', { exact: true });
    const builtIn = await text.inputValue();
    expect(builtIn).toContain('{{');
    await text.fill(`${marker}\n${builtIn}`);
    await page.getByRole('button', { name: 'Preview draft' }).click();
    await page.locator('section', { hasText: 'Preview' }).locator('pre', { hasText: marker }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    // An ops key may read and preview, not change what customers are told.
    const ops = await signIn(DEV_KEYS.ops);
    await ops.locator('h1', { hasText: 'Orders' }).waitFor();
    await ops.goto(`${platform.stack.gatewayUrl}/console#/templates/order-confirmation/email/en`);
    await ops.locator('h1', { hasText: 'Template order-confirmation' }).waitFor();
    await ops.getByRole('button', { name: 'Save new version' }).click();
    await ops.locator('#status.error').waitFor();
    expect(await ops.locator('#status').textContent()).toMatch(/^Save new version refused: .*admin/);
    await ops.close();

    await page.getByRole('button', { name: 'Save new version' }).click();
    await page.locator('p', { hasText: 'Live: version 1' }).waitFor();
    // Audited with the acting key: the version names its author.
    expect(await page.locator('table', { hasText: 'Saved versions' }).locator('tbody tr').allTextContents()).toEqual([expect.stringContaining('admin:dev-admin')]);

    // The next confirmation email, for a real order that gets paid, says what was saved.
    const order = await placeOrder(platform, lifecycleOrder('cj'));
    await pay(platform, order.id);
    const [email] = await platform.stack.smtp!.waitForMessages((m) => m.to.includes(order.customer.email), { timeoutMs: 30_000 });
    expect(email!.text).toContain(marker);
    expect(email!.text).toContain(order.number);
    expect(email!.html).not.toContain(marker);
    await page.close();
  });
});
