import { describe, expect, it } from 'vitest';
import { FORWARD_ROUTES, targetPath } from './route-table';

const paramsOf = (path: string) => [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]).sort();

describe('the route table', () => {
  it('declares each method and path once, all under /v1', () => {
    const keys = FORWARD_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const route of FORWARD_ROUTES) expect(route.path).toMatch(/^\/v1\//);
  });

  it('gives every service path exactly the parameters of its public path', () => {
    for (const route of FORWARD_ROUTES) expect(paramsOf(route.target), route.path).toEqual(paramsOf(route.path));
  });

  it('validates the parameters it forwards', () => {
    for (const route of FORWARD_ROUTES.filter((r) => paramsOf(r.path).length > 0)) {
      expect(route.schemas.params, route.path).toBeDefined();
    }
  });

  it('scopes every customer-reachable route that names an order, invoice or customer', () => {
    for (const route of FORWARD_ROUTES.filter((r) => r.access === 'customer')) {
      if (route.path.startsWith('/v1/orders/:id')) expect(route.scope, route.path).toBe('order');
      if (route.path.startsWith('/v1/invoices/:id')) expect(route.scope, route.path).toBe('invoice');
      if (route.path.includes(':customerId')) expect(route.scope, route.path).toBe('customer');
    }
  });

  it('scopes every vendor-reachable route to the vendor', () => {
    for (const route of FORWARD_ROUTES.filter((r) => r.access === 'vendor' || r.access === 'customer-or-vendor')) {
      expect(['sub-order', 'own-vendor'], route.path).toContain(route.scope);
    }
  });

  it('keeps ops and admin tools away from customer keys', () => {
    const access = (method: string, path: string) => FORWARD_ROUTES.find((r) => r.method === method && r.path === path)?.access;
    expect(access('POST', '/v1/orders/:id/status')).toBe('ops');
    expect(access('GET', '/v1/orders/overview')).toBe('ops');
    expect(access('GET', '/v1/invoices')).toBe('ops');
    expect(access('POST', '/v1/orders/:id/fulfillment/retry')).toBe('ops');
    expect(access('GET', '/v1/timers')).toBe('ops');
    expect(access('PUT', '/v1/price-book/entries')).toBe('admin');
    expect(access('GET', '/v1/orders/:id/allocation')).toBe('ops');
    expect(access('GET', '/v1/vendors/:vendorId/ledger')).toBe('ops');
    expect(access('POST', '/v1/payouts/run')).toBe('ops');
    expect(access('PUT', '/v1/vendors/:vendorId/payout-account')).toBe('admin');
    expect(access('GET', '/v1/vendors/:vendorId/payouts')).toBe('ops');
    expect(access('GET', '/v1/vendor/ledger')).toBe('vendor');
    expect(access('GET', '/v1/vendor/payouts')).toBe('vendor');
    expect(access('POST', '/v1/automation-steps/:id/retry')).toBe('ops');
    expect(access('POST', '/v1/automation-steps/:id/fallback')).toBe('ops');
    expect(access('GET', '/v1/automation-steps')).toBe('ops');
    expect(access('GET', '/v1/shipments/:id/automation-steps')).toBe('ops');
    expect(access('PUT', '/v1/automation-rules/:sku')).toBe('admin');
    expect(access('PUT', '/v1/ops/policies/supplier-failure')).toBe('ops');
    expect(access('PUT', '/v1/ops/sku-sources/:sku')).toBe('ops');
    expect(access('POST', '/v1/hubs')).toBe('admin');
    expect(access('PATCH', '/v1/hubs/:id')).toBe('admin');
    expect(access('PUT', '/v1/hubs/:id/stock/:sku')).toBe('admin');
    expect(access('PUT', '/v1/inventory/policies/:sku')).toBe('ops');
    expect(access('GET', '/v1/tracking/:number')).toBe('public');
    expect(access('PUT', '/v1/notification-templates/:name/:channel/:locale')).toBe('admin');
    expect(access('POST', '/v1/notification-templates/:name/:channel/:locale/test-send')).toBe('ops');
  });

  it('maps the public paths onto the services', () => {
    const target = (method: string, path: string) => FORWARD_ROUTES.find((r) => r.method === method && r.path === path)!;
    expect(target('GET', '/v1/orders/:id/fulfillment')).toMatchObject({ service: 'fulfillment', target: '/orders/:id' });
    expect(target('POST', '/v1/orders/:id/fulfillment/process')).toMatchObject({ service: 'fulfillment', target: '/orders/:id/process' });
    expect(target('GET', '/v1/orders/:id/billing')).toMatchObject({ service: 'billing', target: '/orders/:id/billing' });
    expect(target('PUT', '/v1/customers/:customerId/devices')).toMatchObject({ service: 'notifications', target: '/customers/:customerId/devices' });
  });
});

describe('targetPath', () => {
  it('fills the parameters, encoded', () => {
    expect(targetPath('/orders/:id/process', { id: 'abc' })).toBe('/orders/abc/process');
    expect(targetPath('/customers/:customerId/preferences', { customerId: 'a/b c' })).toBe('/customers/a%2Fb%20c/preferences');
  });

  it('refuses a missing parameter', () => {
    expect(() => targetPath('/orders/:id', {})).toThrow(/:id/);
  });
});
