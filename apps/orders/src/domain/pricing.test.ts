import { describe, expect, it } from 'vitest';
import { FREE_STANDARD_SHIPPING_FROM, priceOrder, SHIPPING_RATES } from './pricing';

const line = (quantity: number, unitPrice: number) => ({ quantity, unitPrice });

describe('priceOrder', () => {
  it('sums line totals in minor units and adds the delivery rate', () => {
    const totals = priceOrder({ items: [line(2, 1250), line(1, 99)], deliveryType: 'express' });
    expect(totals).toEqual({ subtotal: 2599, shipping: SHIPPING_RATES.express, tax: 0, discount: 0, total: 2599 + 1499 });
  });

  it('ships standard orders free from the threshold, never express ones', () => {
    expect(priceOrder({ items: [line(1, FREE_STANDARD_SHIPPING_FROM - 1)], deliveryType: 'standard' }).shipping).toBe(SHIPPING_RATES.standard);
    expect(priceOrder({ items: [line(1, FREE_STANDARD_SHIPPING_FROM)], deliveryType: 'standard' }).shipping).toBe(0);
    expect(priceOrder({ items: [line(1, FREE_STANDARD_SHIPPING_FROM)], deliveryType: 'express' }).shipping).toBe(SHIPPING_RATES.express);
  });
});
