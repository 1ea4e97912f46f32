import { DomainError } from '@platform/runtime/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  carrierDetectionSchema,
  carrierListSchema,
  detectCarrierQuerySchema,
  orderTrackingParamsSchema,
  orderTrackingSchema,
  providerListSchema,
  publicTrackingSchema,
  trackingNumberParamsSchema,
} from '@platform/contracts/api/tracking';
import type { Database } from '../adapters/database';
import type { TrackingProviders } from '../adapters/tracking-providers';
import { type Carrier, CARRIERS, carrierByCode, detectCarrier, normalizeTrackingNumber, trackingUrl } from '../domain/carriers';
import type { TrackingStatus } from '../domain/status';
import type { Shipment, TrackingEvent } from '../generated/prisma/client';

const carrierView = (carrier: Carrier) => ({
  code: carrier.code,
  name: carrier.name,
  seventeenTrackCode: carrier.seventeenTrackCode,
  aftershipSlug: carrier.aftershipSlug,
  trackingUrlTemplate: carrier.trackingUrlTemplate,
});

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

/** TRK-04 queries, the carrier registry and the providers' breaker states. */
export function registerQueryRoutes(app: PlatformHttpServer, db: Database, providers: TrackingProviders): void {
  app.get('/tracking/:number', { schema: { params: trackingNumberParamsSchema, response: { 200: publicTrackingSchema } } }, async (request) => {
    const number = normalizeTrackingNumber(request.params.number);
    const shipment = await db.shipment.findFirst({ where: { trackingNumber: number }, orderBy: { shippedAt: 'desc' }, include: { events: { orderBy: { occurredAt: 'desc' } } } });
    if (!shipment) throw new DomainError('not_found', 'TRACKING_NOT_FOUND', `No shipment with tracking number ${number}`);
    return publicView(shipment, shipment.events);
  });

  app.get('/orders/:orderId/tracking', { schema: { params: orderTrackingParamsSchema, response: { 200: orderTrackingSchema } } }, async (request) => {
    const shipments = await db.shipment.findMany({
      where: { orderId: request.params.orderId },
      orderBy: { shippedAt: 'asc' },
      include: { events: { orderBy: { occurredAt: 'desc' } } },
    });
    return {
      orderId: request.params.orderId,
      shipments: shipments.map((shipment) => ({
        ...publicView(shipment, shipment.events),
        shipmentId: shipment.id,
        provider: shipment.provider as '17track' | 'aftership' | null,
        registeredAt: shipment.registeredAt?.toISOString() ?? null,
        shippedAt: shipment.shippedAt.toISOString(),
        deliveryAttempts: shipment.events.filter(isDeliveryAttemptFailure).length,
      })),
    };
  });

  app.get('/carriers', { schema: { response: { 200: carrierListSchema } } }, async () => ({ carriers: CARRIERS.map(carrierView) }));

  app.get('/carriers/detect', { schema: { querystring: detectCarrierQuerySchema, response: { 200: carrierDetectionSchema } } }, async (request) => {
    const detection = detectCarrier(request.query.number, request.query.hint);
    return {
      ...detection,
      carrier: detection.carrier ? carrierView(detection.carrier) : null,
      trackingUrl: trackingUrl(detection.carrier ?? undefined, detection.number),
    };
  });

  app.get('/providers', { schema: { response: { 200: providerListSchema } } }, async () => ({ providers: providers.states() }));
}
