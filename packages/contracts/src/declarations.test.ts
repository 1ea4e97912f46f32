import { describe, expect, it } from 'vitest';
import { consumerDeclarationMismatch, consumerService, durableConsumers, narrowestFilter } from './consumers';
import { declaredTimerKinds, timerDeclarationMismatch, timers } from './timers';

describe('durable consumer declarations', () => {
  it('name each consumer once, as <service>--<purpose>', () => {
    const names = durableConsumers.map((consumer) => consumer.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+--[a-z-]+$/);
  });

  it.each(durableConsumers.map((consumer) => [consumer.name, consumer] as const))('%s reads only events of its own stream', (_name, consumer) => {
    expect(consumer.events.filter((event) => event.stream !== consumer.stream).map((event) => event.type)).toEqual([]);
  });

  it('a consumer never reads the stream its own service publishes', () => {
    expect(durableConsumers.filter((consumer) => consumer.stream.toLowerCase() === consumerService(consumer.name)).map((c) => c.name)).toEqual([]);
  });

  const v1 = (...types: string[]) => types.map((type) => ({ type, version: 1 }));

  it('accept a consumer that handles what it declares, in any order', () => {
    const events = v1('orders.order.paid_by_channel', 'orders.order.cancelled', 'orders.order.created', 'orders.order.modified');
    expect(consumerDeclarationMismatch({ name: 'billing--orders', stream: 'ORDERS', events })).toBeUndefined();
  });

  it('refuse a declared consumer with a handler more or less, of another version, or on another stream', () => {
    expect(consumerDeclarationMismatch({ name: 'billing--orders', stream: 'ORDERS', events: v1('orders.order.created') })).toMatch(
      /billing--orders handles orders\.order\.created v1, but packages\/contracts\/src\/consumers\.ts .* declares orders\.order\.cancelled v1, orders\.order\.created v1, orders\.order\.modified v1/,
    );
    expect(
      consumerDeclarationMismatch({ name: 'orders--tracking', stream: 'TRACKING', events: v1('tracking.shipment.status_changed', 'tracking.shipment.registered') }),
    ).toMatch(/orders--tracking handles/);
    const declared = durableConsumers.find((consumer) => consumer.name === 'billing--orders')!.events.map(({ type, version }) => ({ type, version }));
    const created = declared.findIndex((event) => event.type === 'orders.order.created');
    const otherVersion = declared.map((event, i) => (i === created ? { ...event, version: event.version + 1 } : event));
    expect(consumerDeclarationMismatch({ name: 'billing--orders', stream: 'ORDERS', events: otherVersion })).toMatch(/handles .*orders\.order\.created v2.*, but .* declares .*orders\.order\.created v1/);
    expect(consumerDeclarationMismatch({ name: 'orders--tracking', stream: 'FULFILLMENT', events: v1('tracking.shipment.status_changed') })).toMatch(
      /reads stream FULFILLMENT, but .* declares TRACKING/,
    );
  });

  it('leave consumers they do not name to their owner (tests start their own)', () => {
    expect(consumerDeclarationMismatch({ name: 'notifications--it-1234', stream: 'ORDERS', events: [] })).toBeUndefined();
  });
});

describe('timer declarations', () => {
  it.each(Object.keys(timers))("%s's timer kinds are its own (<service>.<what>) and unique", (service) => {
    const kinds = declaredTimerKinds(service);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const kind of kinds) expect(kind).toMatch(new RegExp(`^${service}\\.[a-z-]+$`));
  });

  it('accept handlers for exactly the declared kinds', () => {
    expect(timerDeclarationMismatch('notifications', ['notifications.retry', 'notifications.send', 'notifications.deliver-deferred', 'notifications.campaign-release'])).toBeUndefined();
    expect(timerDeclarationMismatch('gateway', [])).toBeUndefined();
  });

  it('refuse a handler for an undeclared kind, or a declared kind without a handler', () => {
    expect(timerDeclarationMismatch('billing', ['billing.invoice-overdue', 'billing.dunning'])).toMatch(
      /billing has timer handlers for billing\.dunning, billing\.invoice-overdue, but packages\/contracts\/src\/timers\.ts declares billing\.invoice-overdue/,
    );
    expect(timerDeclarationMismatch('tracking', [])).toMatch(/tracking has timer handlers for nothing, but .* declares tracking\.no-scan-alert, tracking\.poll/);
    expect(timerDeclarationMismatch('gateway', ['gateway.reminder'])).toMatch(/declares none/);
  });
});

describe('narrowestFilter', () => {
  it('keeps the tokens all subjects share and puts a wildcard where they differ', () => {
    expect(narrowestFilter(['orders.order.created', 'orders.order.cancelled'])).toBe('orders.order.*');
    expect(narrowestFilter(['billing.payment.succeeded', 'billing.refund.succeeded'])).toBe('billing.*.succeeded');
    expect(narrowestFilter(['billing.payment.succeeded', 'billing.payment.failed', 'billing.refund.succeeded'])).toBe('billing.*.*');
    expect(narrowestFilter(['tracking.shipment.silent'])).toBe('tracking.shipment.silent');
  });

  it('ends in > where the subjects have different lengths', () => {
    expect(narrowestFilter(['a.b.c', 'a.b'])).toBe('a.>');
    expect(narrowestFilter(['a.b.c.d', 'a.x.c'])).toBe('a.*.>');
  });
});
