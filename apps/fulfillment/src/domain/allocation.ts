import { DomainError } from '@platform/contracts/errors';

/**
 * Shipment allocation (FUL-04): a shipment takes units of a fulfillment order's items,
 * never more than remains of an item.
 */
export interface RemainingItem {
  id: string;
  sku: string;
  remainingQuantity: number;
}

export interface Allocation {
  itemId: string;
  sku: string;
  quantity: number;
}

/** Without `requested`, everything that remains. */
export function allocateShipment(items: RemainingItem[], requested?: Array<{ sku: string; quantity: number }>): Allocation[] {
  const allocations = requested
    ? requested.map((want) => {
        const item = items.find((i) => i.sku === want.sku);
        if (!item) throw new DomainError('conflict', 'SKU_NOT_IN_FULFILLMENT_ORDER', `${want.sku} is not part of this order's hub fulfillment`);
        if (want.quantity > item.remainingQuantity) {
          throw new DomainError(
            'conflict',
            'ALLOCATION_EXCEEDS_REMAINING',
            `${want.quantity} × ${want.sku} requested but only ${item.remainingQuantity} remain to ship`,
          );
        }
        return { itemId: item.id, sku: item.sku, quantity: want.quantity };
      })
    : items.map((item) => ({ itemId: item.id, sku: item.sku, quantity: item.remainingQuantity }));
  const nonEmpty = allocations.filter((a) => a.quantity > 0);
  if (nonEmpty.length === 0) throw new DomainError('conflict', 'NOTHING_TO_SHIP', 'Nothing remains to ship');
  return nonEmpty;
}
