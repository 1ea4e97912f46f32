import { describe, expect, it } from 'vitest';
import { spocketOrderStatus } from './spocket';

describe('spocketOrderStatus', () => {
  it.each([
    ['pending', 'placed'],
    ['confirmed', 'confirmed'],
    ['shipped', 'shipped'],
    ['delivered', 'delivered'],
    ['cancelled', 'cancelled'],
    ['rejected', 'rejected'],
    ['on_hold', 'placed'],
  ] as const)('%s → %s', (raw, status) => {
    expect(spocketOrderStatus({ status: raw }).status).toBe(status);
  });

  it('gives the refusal reason of a rejected order', () => {
    expect(spocketOrderStatus({ status: 'rejected', reason: 'Out of stock' }).reason).toBe('Out of stock');
  });
});
