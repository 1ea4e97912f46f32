import { DomainError } from '@platform/contracts/errors';
import type { OrderTracking } from '@platform/contracts/api/tracking';
import type { Database } from '../adapters/database';
import { normalizeTrackingNumber, trackingUrl } from '@platform/contracts/carriers';
import { carrierByCode } from '../domain/carriers';
import type { TrackingStatus } from '../domain/status';
import type { Shipment, TrackingEvent } from '../generated/prisma/client';

/** What anyone holding the number may see: no order, customer or address data. */
function publicView(shipment: Shipment, events: TrackingEvent[]) {
  const carrier = carrierByCode(shipment.carrier);
  return {
    trackingNumber: shipment.trackingNumber,
    carrier: carrier ? { code: carrier.code, name: carrier.name } : null,
    status: shipment.status as TrackingStatus,
    estimatedDelivery: shipment.estimatedDelivery?.toISOString() ?? null,
    trackingUrl: trackingUrl(carrier, shipment.trackingNumber),
    lastUpdate: shipment.lastEventAt?.toISOString() ?? null,
    events: events.map((e) => ({ time: e.occurredAt.toISOString(), status: e.status as TrackingStatus | null, location: e.location, description: e.description })),
  };
}

/** A failed delivery attempt: a delivery_failed scan (17TRACK DeliveryFailure, AfterShip AttemptFail). */
const isDeliveryAttemptFailure = (event: TrackingEvent) => event.status === 'delivery_failed';

/** TRK-04: the newest shipment with this number, as anyone holding the number may see it. */
export async function trackNumber(db: Database, rawNumber: string) {
  const number = normalizeTrackingNumber(rawNumber);
  const shipment = await db.shipment.findFirst({ where: { trackingNumber: number }, orderBy: { shippedAt: 'desc' }, include: { events: { orderBy: { occurredAt: 'desc' } } } });
  if (!shipment) throw new DomainError('not_found', 'TRACKING_NOT_FOUND', `No shipment with tracking number ${number}`);
  return publicView(shipment, shipment.events);
}

/** TRK-04: every shipment of the order, with the provider and the failed delivery attempts. */
export async function orderTracking(db: Database, orderId: string): Promise<OrderTracking> {
  const shipments = await db.shipment.findMany({
    where: { orderId },
    orderBy: { shippedAt: 'asc' },
    include: { events: { orderBy: { occurredAt: 'desc' } } },
  });
  return {
    orderId,
    shipments: shipments.map((shipment) => ({
      ...publicView(shipment, shipment.events),
      shipmentId: shipment.id,
      provider: shipment.provider as '17track' | 'aftership' | null,
      registeredAt: shipment.registeredAt?.toISOString() ?? null,
      shippedAt: shipment.shippedAt.toISOString(),
      deliveryAttempts: shipment.events.filter(isDeliveryAttemptFailure).length,
    })),
  };
}
