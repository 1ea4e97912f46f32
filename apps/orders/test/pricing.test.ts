import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, orderBody, type OrdersService, placeOrder, startOrdersService } from './orders-service';

let service: OrdersService;
beforeAll(async () => {
  service = await startOrdersService();
});
afterAll(async () => service?.stop());

const tshirt = { sku: 'TSHIRT-BLK-M', variantId: 'tshirt-blk-m', name: 'Black T-shirt', quantity: 1, vendor: { id: 'acme', type: 'brand' as const } };
const address = (country: string) => ({ name: 'Ana', line1: 'Street 1', city: 'City', postalCode: '1000', country });

describe('price book resolution (ORD-02)', () => {
  it('prices by agreement, then shipping country, then the global book, with a snapshot per item', async () => {
    const put = await service.app.inject({
      method: 'PUT',
      url: '/price-book/entries',
      headers: as.admin,
      payload: { entries: [{ sku: 'TSHIRT-BLK-M', source: 'PRICE_AGREEMENT', customerId: 'b2b-7', currency: 'EUR', unitPrice: 1500 }] },
    });
    expect(put.statusCode).toBe(200);
    const agreementId = put.json().entries[0].id;

    const global = await placeOrder(service, orderBody({ shippingAddress: address('FR'), items: [tshirt] }), as.customer('cust-fr'));
    expect(global.items[0]).toMatchObject({ unitPrice: 1999, priceSource: 'PRICEBOOK_GLOBAL', lineTotal: 1999 });
    expect(global.items[0]!.priceSnapshot).toMatchObject({ unitPrice: 1999, source: 'PRICEBOOK_GLOBAL', priceBookEntryId: '00000000-0000-4000-8000-000000000001' });

    const regional = await placeOrder(service, orderBody({ shippingAddress: address('ES'), items: [tshirt] }));
    expect(regional.items[0]).toMatchObject({ unitPrice: 1799, priceSource: 'PRICEBOOK_REGIONAL' });

    const body = orderBody({ shippingAddress: address('ES'), items: [{ ...tshirt, quantity: 3 }] });
    const agreed = await placeOrder(service, { ...body, customer: { ...body.customer, id: 'b2b-7' } }, as.customer('b2b-7'));
    expect(agreed.items[0]).toMatchObject({ unitPrice: 1500, priceSource: 'PRICE_AGREEMENT', lineTotal: 4500 });
    expect(agreed.items[0]!.priceSnapshot?.priceBookEntryId).toBe(agreementId);
    expect(agreed.totals).toEqual({ subtotal: 4500, shipping: 499, tax: 0, discount: 0, total: 4999 });
  });

  it('keeps a snapshot when the book changes later', async () => {
    const order = await placeOrder(service, orderBody({ shippingAddress: address('DE'), items: [tshirt] }));
    await service.app.inject({
      method: 'PUT',
      url: '/price-book/entries',
      headers: as.admin,
      payload: { entries: [{ id: '00000000-0000-4000-8000-000000000001', sku: 'TSHIRT-BLK-M', source: 'PRICEBOOK_GLOBAL', currency: 'EUR', unitPrice: 2999 }] },
    });
    const read = await service.app.inject({ method: 'GET', url: `/orders/${order.id}` });
    expect(read.json().items[0].unitPrice).toBe(1999);
    const next = await placeOrder(service, orderBody({ shippingAddress: address('DE'), items: [tshirt] }));
    expect(next.items[0]!.unitPrice).toBe(2999);
  });

  it('ignores a customer price for a listed item and refuses an unlisted one for a customer, naming it', async () => {
    const listed = await placeOrder(service, orderBody({ items: [{ ...tshirt, sku: 'MUG-WHT', unitPrice: 1 }] }), as.customer('cust-x'));
    expect(listed.items[0]).toMatchObject({ unitPrice: 1250, priceSource: 'PRICEBOOK_GLOBAL' });

    const unlisted = { ...tshirt, sku: 'NOT-IN-BOOK', unitPrice: 100 };
    const before = await service.db.order.count();
    const refused = await service.app.inject({
      method: 'POST',
      url: '/orders',
      headers: as.customer('cust-x'),
      payload: orderBody({ items: [tshirt, unlisted] }),
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'NO_PRICE', errors: [{ pointer: '/items/1' }] });
    expect(await service.db.order.count()).toBe(before);
  });

  it('accepts a bespoke price from ops or an internal caller, and needs one', async () => {
    const item = { ...tshirt, sku: 'CUSTOM-ENGRAVING', unitPrice: 4200 };
    const internal = await placeOrder(service, orderBody({ items: [item] }));
    expect(internal.items[0]).toMatchObject({ unitPrice: 4200, priceSource: 'BESPOKE' });
    expect(internal.items[0]!.priceSnapshot?.priceBookEntryId).toBeNull();
    const ops = await placeOrder(service, orderBody({ items: [item] }), as.ops);
    expect(ops.items[0]!.priceSource).toBe('BESPOKE');
    const { unitPrice: _, ...priceless } = item;
    const missing = await service.app.inject({ method: 'POST', url: '/orders', payload: orderBody({ items: [priceless] }) });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'NO_PRICE', errors: [{ pointer: '/items/0' }] });
  });
});

describe('POST /quotes', () => {
  it('prices each line with its provenance and reports unpriced lines', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/quotes',
      payload: {
        country: 'RO',
        currency: 'EUR',
        items: [
          { sku: 'CHARGER-USB-C', variantId: 'usb-c-65w', quantity: 2 },
          { sku: 'MUG-WHT', variantId: 'mug-wht-350', quantity: 1 },
          { sku: 'NOPE', variantId: 'x', quantity: 1 },
        ],
      },
    });
    expect(response.statusCode).toBe(200);
    const quote = response.json();
    expect(quote.complete).toBe(false);
    expect(quote.lines.map((l: { source: string | null; lineTotal: number | null }) => [l.source, l.lineTotal])).toEqual([
      ['PRICEBOOK_REGIONAL', 4598],
      ['PRICEBOOK_GLOBAL', 1250],
      [null, null],
    ]);
    expect(quote.lines[2].error).toMatchObject({ code: 'NO_PRICE', pointer: '/items/2' });
    expect(quote.totals).toEqual({ subtotal: 5848, shipping: 0, tax: 0, discount: 0, total: 5848 });

    const agreed = await service.app.inject({
      method: 'POST',
      url: '/quotes',
      payload: { customerId: 'cust-b2b-1', country: 'RO', currency: 'EUR', items: [{ sku: 'CHARGER-USB-C', variantId: 'usb-c-65w', quantity: 1 }] },
    });
    expect(agreed.json().lines[0]).toMatchObject({ source: 'PRICE_AGREEMENT', unitPrice: 1999 });
    expect(agreed.json().complete).toBe(true);

    // A customer gets its own agreement, never one named for another customer.
    const charger = { country: 'RO', currency: 'EUR', items: [{ sku: 'CHARGER-USB-C', variantId: 'usb-c-65w', quantity: 1 }] };
    const own = await service.app.inject({ method: 'POST', url: '/quotes', headers: as.customer('cust-b2b-1'), payload: charger });
    expect(own.json().lines[0].source).toBe('PRICE_AGREEMENT');
    const other = await service.app.inject({ method: 'POST', url: '/quotes', headers: as.customer('cust-9'), payload: { ...charger, customerId: 'cust-b2b-1' } });
    expect(other.json().lines[0].source).toBe('PRICEBOOK_REGIONAL');
  });

  it('refuses a malformed quote', async () => {
    const response = await service.app.inject({ method: 'POST', url: '/quotes', payload: { country: 'spain', currency: 'EUR', items: [] } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/country', '/items']);
  });
});

describe('price book administration', () => {
  it('lets only admin write entries, and validates them', async () => {
    const entry = { sku: 'NEW-SKU', source: 'PRICEBOOK_REGIONAL', region: 'IT', currency: 'EUR', unitPrice: 700 };
    for (const headers of [{}, as.ops, as.customer('c')]) {
      const refused = await service.app.inject({ method: 'PUT', url: '/price-book/entries', headers, payload: { entries: [entry] } });
      expect(refused.statusCode).toBe(403);
    }
    const invalid = await service.app.inject({
      method: 'PUT',
      url: '/price-book/entries',
      headers: as.admin,
      payload: { entries: [{ ...entry, region: null }] },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors[0].pointer).toBe('/entries/0/region');
    expect((await service.app.inject({ method: 'GET', url: '/price-book?sku=NEW-SKU' })).json().entries).toEqual([]);

    const saved = await service.app.inject({ method: 'PUT', url: '/price-book/entries', headers: as.admin, payload: { entries: [entry] } });
    expect(saved.statusCode).toBe(200);
    const book = (await service.app.inject({ method: 'GET', url: '/price-book?sku=NEW-SKU' })).json();
    expect(book.entries).toEqual([expect.objectContaining({ sku: 'NEW-SKU', region: 'IT', unitPrice: 700, source: 'PRICEBOOK_REGIONAL' })]);

    const asCustomer = (await service.app.inject({ method: 'GET', url: '/price-book?sku=CHARGER-USB-C', headers: as.customer('cust-9') })).json();
    expect(asCustomer.entries.map((e: { source: string }) => e.source).sort()).toEqual(['PRICEBOOK_GLOBAL', 'PRICEBOOK_REGIONAL']);
  });
});
