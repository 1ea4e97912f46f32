import { describe, expect, it } from 'vitest';
import { createLogFormatter } from './log-format';

const names = ['gateway', 'orders', 'notifications'];
const line = (record: object) => JSON.stringify({ time: Date.UTC(2026, 11, 3, 10, 0, 0), pid: 1, hostname: 'h', ...record });
const ids = { reqId: 'r-1', correlationId: 'c-1', traceId: 't-1', spanId: 's-1' };

describe('the console of command one', () => {
  const quiet = createLogFormatter(names, { color: false });
  const verbose = createLogFormatter(names, { color: false, verbose: true });

  it('shows one access line per gateway request, without the flow ids', () => {
    const shown = quiet('gateway', line({ level: 30, msg: 'request', method: 'GET', url: '/v1/orders/o-1', status: 200, ms: 12, ...ids }));
    expect(shown).toMatch(/gateway\s+INFO\s+GET \/v1\/orders\/o-1 → 200 12 ms$/);
    expect(shown).not.toMatch(/c-1|t-1|s-1|r-1/);
  });

  it('leaves the routine work behind a request to the log file', () => {
    expect(quiet('orders', line({ level: 30, msg: 'request', method: 'GET', url: '/orders/o-1', status: 200, ms: 3, ...ids }))).toBeUndefined();
    expect(quiet('orders', line({ level: 30, msg: 'event handled', type: 'x', outcome: 'processed', ...ids }))).toBeUndefined();
    expect(quiet('notifications', line({ level: 30, msg: 'timer fired', kind: 'deliver', ...ids }))).toBeUndefined();
    expect(quiet('orders', line({ level: 20, msg: 'detail' }))).toBeUndefined();
  });

  it('always shows warnings, errors and the messages that are news', () => {
    expect(quiet('orders', line({ level: 40, msg: 'event handled', outcome: 'retry', ...ids }))).toMatch(/orders\s+WARN\s+event handled outcome=retry$/);
    expect(quiet('orders', line({ level: 50, msg: 'boom', err: { message: 'database down' } }))).toMatch(/ERROR\s+boom database down/);
    expect(quiet('orders', line({ level: 30, msg: 'demo price book entries added', added: 9 }))).toMatch(/demo price book entries added added=9/);
    expect(quiet('orders', 'not json')).toBe('orders        | not json');
  });

  it('shows every line with every field with --verbose', () => {
    const shown = verbose('orders', line({ level: 30, msg: 'event handled', type: 'orders.order.created', ...ids }));
    expect(shown).toMatch(/event handled type=orders.order.created reqId=r-1 correlationId=c-1 traceId=t-1 spanId=s-1$/);
    expect(verbose('orders', line({ level: 30, msg: 'request', method: 'GET', url: '/orders/o-1', status: 200, ms: 3 }))).toBeDefined();
  });
});
