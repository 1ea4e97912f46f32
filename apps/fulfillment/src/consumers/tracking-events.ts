import { on } from '@platform/runtime/consumer';
import { trackingStatusChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import type { Fulfillment } from '../application/context';
import { applyTrackingUpdate } from '../application/shipments';

/** `fulfillment--tracking-updates`: a parcel's tracking status moves its shipment and the workflow. */
export function trackingEventSubscriptions(fulfillment: Fulfillment) {
  return [on(trackingStatusChanged, (event, tx: Transaction) => applyTrackingUpdate(tx, fulfillment, event.data))];
}
