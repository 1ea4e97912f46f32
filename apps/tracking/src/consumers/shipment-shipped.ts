import { on } from '@platform/runtime/consumer';
import { shipmentShipped } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { startTracking, type TrackingDeps } from '../application/shipments';

/** `fulfillment.shipment.shipped` → the shipment is registered with a provider and followed. */
export function trackShippedShipments(deps: TrackingDeps) {
  return on(shipmentShipped, async (event, tx: Transaction) => startTracking(event, tx, deps));
}
