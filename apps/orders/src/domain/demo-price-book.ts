import type { PriceBookEntryInput } from '@platform/contracts/api/orders';

const entry = (id: string, fields: Partial<PriceBookEntryInput> & Pick<PriceBookEntryInput, 'sku' | 'source' | 'unitPrice'>) =>
  ({ variantId: null, region: null, customerId: null, currency: 'EUR', validFrom: null, validTo: null, id, ...fields }) as PriceBookEntryInput & { id: string };

/**
 * Demo prices so the README's examples order without naming a price (`SEED_DEMO_PRICE_BOOK`).
 * Fixed ids: seeding again never duplicates, and an admin's change to one is kept.
 */
export const DEMO_PRICE_BOOK: readonly (PriceBookEntryInput & { id: string })[] = [
  entry('00000000-0000-4000-8000-000000000001', { sku: 'TSHIRT-BLK-M', source: 'PRICEBOOK_GLOBAL', unitPrice: 1999 }),
  entry('00000000-0000-4000-8000-000000000002', { sku: 'TSHIRT-BLK-M', source: 'PRICEBOOK_REGIONAL', region: 'ES', unitPrice: 1799 }),
  entry('00000000-0000-4000-8000-000000000003', { sku: 'TSHIRT-BLK-M', source: 'PRICEBOOK_GLOBAL', currency: 'USD', unitPrice: 2199 }),
  entry('00000000-0000-4000-8000-000000000004', { sku: 'MUG-WHT', source: 'PRICEBOOK_GLOBAL', unitPrice: 1250 }),
  entry('00000000-0000-4000-8000-000000000005', { sku: 'MUG-BLUE', source: 'PRICEBOOK_GLOBAL', unitPrice: 1250 }),
  entry('00000000-0000-4000-8000-000000000009', { sku: 'TEA-1', source: 'PRICEBOOK_GLOBAL', unitPrice: 899 }),
  entry('00000000-0000-4000-8000-000000000006', { sku: 'CHARGER-USB-C', source: 'PRICEBOOK_GLOBAL', unitPrice: 2499 }),
  entry('00000000-0000-4000-8000-000000000007', { sku: 'CHARGER-USB-C', source: 'PRICEBOOK_REGIONAL', region: 'RO', unitPrice: 2299 }),
  entry('00000000-0000-4000-8000-000000000008', { sku: 'CHARGER-USB-C', source: 'PRICE_AGREEMENT', customerId: 'cust-b2b-1', unitPrice: 1999 }),
];
