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
import { detectCarrier, trackingUrl } from '@platform/contracts/carriers';
import type { TrackingProviders } from '../adapters/tracking-providers';
import { orderTracking, trackNumber } from '../application/queries';
import type { Database } from '../application/shipments';
import { type Carrier, CARRIERS } from '../domain/carriers';

const carrierView = (carrier: Carrier) => ({
  code: carrier.code,
  name: carrier.name,
  seventeenTrackCode: carrier.seventeenTrackCode,
  aftershipSlug: carrier.aftershipSlug,
  trackingUrlTemplate: carrier.trackingUrlTemplate,
});

/** TRK-04 queries, the carrier registry and the providers' breaker states. */
export function registerQueryRoutes(app: PlatformHttpServer, db: Database, providers: TrackingProviders): void {
  app.get('/tracking/:number', { schema: { params: trackingNumberParamsSchema, response: { 200: publicTrackingSchema } } }, async (request) =>
    trackNumber(db, request.params.number),
  );

  app.get('/orders/:orderId/tracking', { schema: { params: orderTrackingParamsSchema, response: { 200: orderTrackingSchema } } }, async (request) =>
    orderTracking(db, request.params.orderId),
  );

  app.get('/carriers', { schema: { response: { 200: carrierListSchema } } }, async () => ({ carriers: CARRIERS.map(carrierView) }));

  app.get('/carriers/detect', { schema: { querystring: detectCarrierQuerySchema, response: { 200: carrierDetectionSchema } } }, async (request) => {
    const detection = detectCarrier(request.query.number, request.query.hint, CARRIERS);
    return {
      ...detection,
      carrier: detection.carrier ? carrierView(detection.carrier) : null,
      trackingUrl: trackingUrl(detection.carrier ?? undefined, detection.number),
    };
  });

  app.get('/providers', { schema: { response: { 200: providerListSchema } } }, async () => ({ providers: providers.states() }));
}
