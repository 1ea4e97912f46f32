import { on } from '@platform/runtime/consumer';
import { returnChanged, shipmentShipped } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { returnParcel, shippedParcel, startTracking, type TrackingDeps } from '../application/shipments';

/** `fulfillment.shipment.shipped` → the shipment is registered with a provider and followed. */
export function trackShippedShipments(deps: TrackingDeps) {
  return on(shipmentShipped, async (event, tx: Transaction) => startTracking(shippedParcel(event.data), tx, deps));
}

/** `fulfillment.return.changed` to `approved` → the return's parcel is followed like any other, its events naming the return. */
export function trackReturnParcels(deps: TrackingDeps) {
  return on(returnChanged, async (event, tx: Transaction) => {
    const parcel = returnParcel(event.data);
    if (parcel) await startTracking(parcel, tx, deps);
  });
}
