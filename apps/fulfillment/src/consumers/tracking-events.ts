import { on } from '@platform/runtime/consumer';
import { trackingStatusChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import type { Fulfillment } from '../application/context';
import { applyReturnParcelUpdate } from '../application/returns';
import { applyTrackingUpdate } from '../application/shipments';

/** `fulfillment--tracking-updates`: a parcel's tracking status moves its shipment and the workflow; a return parcel's moves its return only. */
export function trackingEventSubscriptions(fulfillment: Fulfillment) {
  return [
    on(trackingStatusChanged, (event, tx: Transaction) => {
      const { returnId } = event.data;
      return returnId ? applyReturnParcelUpdate(tx, fulfillment, { ...event.data, returnId }) : applyTrackingUpdate(tx, fulfillment, event.data);
    }),
  ];
}
