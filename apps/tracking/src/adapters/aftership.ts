import type { Got } from 'got';
import { fromAftershipTracking, type TrackingUpdate } from '../domain/provider-payloads';
import { aftershipTrackingSchema } from '@platform/contracts/api/tracking';
import { failureOf, ProviderError, type ProviderShipment, type TrackingProvider, transport } from './provider';

/** AfterShip meta code for "Tracking already exists." */
const ALREADY_EXISTS = 4003;

interface Answer {
  meta?: { code?: number; message?: string };
  data?: Record<string, unknown> & { id?: string; trackings?: Array<Record<string, unknown>> };
}

/**
 * AfterShip Tracking API 2025-01 (fallback): `POST /trackings {tracking_number, slug}`,
 * `GET /trackings/:id`, `GET /trackings?tracking_numbers=` with the `as-api-key` header;
 * answers `{meta{code, message}, data}`.
 */
export class AftershipProvider implements TrackingProvider {
  readonly name = 'aftership' as const;

  constructor(
    private readonly http: Got,
    private readonly apiKey: string,
  ) {}

  private async send(operation: string, request: (headers: Record<string, string>) => Promise<{ statusCode: number; body: unknown }>): Promise<{ statusCode: number; body: Answer }> {
    const response = await transport(this.name, operation, () => request({ 'as-api-key': this.apiKey }));
    return { statusCode: response.statusCode, body: (response.body ?? {}) as Answer };
  }

  /** The tracking id for a number already at AfterShip. */
  private async findId(shipment: ProviderShipment): Promise<string | null> {
    const { statusCode, body } = await this.send('list trackings', (headers) =>
      this.http.get('trackings', { headers, searchParams: { tracking_numbers: shipment.trackingNumber }, responseType: 'json' }),
    );
    const failure = failureOf(this.name, 'list trackings', statusCode);
    if (failure) throw failure;
    const match = body.data?.trackings?.find((t) => t.tracking_number === shipment.trackingNumber);
    return typeof match?.id === 'string' ? match.id : null;
  }

  async register(shipment: ProviderShipment): Promise<{ providerRef: string | null }> {
    const { statusCode, body } = await this.send('create tracking', (headers) =>
      this.http.post('trackings', {
        headers,
        json: {
          tracking_number: shipment.trackingNumber,
          ...(shipment.carrier ? { slug: shipment.carrier.aftershipSlug } : {}),
          order_id: shipment.orderId,
        },
        responseType: 'json',
      }),
    );
    if (body.meta?.code === ALREADY_EXISTS) return { providerRef: await this.findId(shipment) };
    const failure = failureOf(this.name, 'create tracking', statusCode);
    if (failure) throw failure;
    return { providerRef: typeof body.data?.id === 'string' ? body.data.id : null };
  }

  async fetch(shipment: ProviderShipment): Promise<TrackingUpdate | null> {
    const id = shipment.providerRef ?? (await this.findId(shipment));
    if (!id) return null;
    const { statusCode, body } = await this.send('get tracking', (headers) =>
      this.http.get(`trackings/${encodeURIComponent(id)}`, { headers, responseType: 'json' }),
    );
    if (statusCode === 404) return null;
    const failure = failureOf(this.name, 'get tracking', statusCode);
    if (failure) throw failure;
    const tracking = aftershipTrackingSchema.safeParse(body.data);
    if (!tracking.success) throw new ProviderError(this.name, 'unavailable', 'get tracking answered a malformed tracking');
    return fromAftershipTracking(tracking.data);
  }

  /** AfterShip stops following a tracking by itself once it reaches a final tag. */
  async stop(): Promise<void> {}
}
