import type { Got } from 'got';
import { fromSeventeenTrackInfo, type TrackingUpdate } from '../domain/provider-payloads';
import { seventeenTrackInfoSchema } from '@platform/contracts/api/tracking';
import { failureOf, ProviderError, type ProviderShipment, type TrackingProvider, transport } from './provider';

/** 17TRACK v2.2 error codes that mean "already in the wanted state". */
const ALREADY_REGISTERED = -18019901;
const NOT_REGISTERED = -18019902;

interface Envelope {
  code: number;
  data?: {
    accepted?: Array<{ number: string; carrier?: number; tag?: string; track_info?: unknown }>;
    rejected?: Array<{ number: string; error?: { code: number; message: string } }>;
  };
}

/**
 * 17TRACK Tracking API v2.2 (primary): JSON arrays of numbers POSTed to `register`,
 * `gettrackinfo`, `stoptrack` with the `17token` header; answers `{code, data{accepted, rejected}}`.
 */
export class SeventeenTrackProvider implements TrackingProvider {
  readonly name = '17track' as const;

  constructor(
    private readonly http: Got,
    private readonly apiKey: string,
  ) {}

  private async call(operation: string, items: Array<Record<string, unknown>>): Promise<NonNullable<Envelope['data']>> {
    const response = await transport(this.name, operation, () =>
      this.http.post(operation, { json: items, headers: { '17token': this.apiKey }, responseType: 'json' }),
    );
    const failure = failureOf(this.name, operation, response.statusCode);
    if (failure) throw failure;
    const body = response.body as Envelope;
    if (typeof body?.code !== 'number' || body.code !== 0 || !body.data) {
      throw new ProviderError(this.name, 'unavailable', `${operation} answered code ${String(body?.code)}`);
    }
    return body.data;
  }

  private item(shipment: ProviderShipment): Record<string, unknown> {
    const carrier = shipment.carrier?.seventeenTrackCode;
    return { number: shipment.trackingNumber, ...(carrier ? { carrier } : {}) };
  }

  async register(shipment: ProviderShipment): Promise<{ providerRef: string | null }> {
    const carrier = shipment.carrier?.seventeenTrackCode;
    const data = await this.call('register', [
      // Our shipment id as the tag: webhooks carry it back.
      { ...this.item(shipment), ...(carrier ? {} : { auto_detection: true }), tag: shipment.shipmentId },
    ]);
    const rejected = data.rejected?.[0];
    if (data.accepted?.length || rejected?.error?.code === ALREADY_REGISTERED) return { providerRef: null };
    throw new ProviderError(this.name, 'rejected', `register refused ${shipment.trackingNumber}: ${rejected?.error?.code} ${rejected?.error?.message}`);
  }

  async fetch(shipment: ProviderShipment): Promise<TrackingUpdate | null> {
    const data = await this.call('gettrackinfo', [this.item(shipment)]);
    const accepted = data.accepted?.[0];
    if (!accepted) {
      const code = data.rejected?.[0]?.error?.code;
      if (code === NOT_REGISTERED) return null;
      throw new ProviderError(this.name, 'rejected', `gettrackinfo refused ${shipment.trackingNumber}: ${code}`);
    }
    const info = seventeenTrackInfoSchema.nullish().safeParse(accepted.track_info);
    if (!info.success) throw new ProviderError(this.name, 'unavailable', 'gettrackinfo answered a malformed track_info');
    return fromSeventeenTrackInfo(shipment.trackingNumber, info.data);
  }

  async stop(shipment: ProviderShipment): Promise<void> {
    await this.call('stoptrack', [this.item(shipment)]);
  }
}
