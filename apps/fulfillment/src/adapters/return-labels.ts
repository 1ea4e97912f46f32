import { DomainError } from '@platform/contracts/errors';
import { createHttpClient } from '@platform/runtime/http-client';

/** A hub is known by its name and country only: the carrier takes what there is. */
export interface LabelAddress {
  name: string;
  line1?: string;
  city?: string;
  postalCode?: string;
  country: string;
}

/** A return label bought from the carrier side. */
export interface ReturnLabel {
  carrier: string;
  trackingNumber: string;
  labelUrl: string;
}

export interface ReturnLabels {
  /** Buys the label of a customer's parcel back to a hub; `reference` is the return's number. */
  buy(input: { reference: string; from: LabelAddress; to: LabelAddress }): Promise<ReturnLabel>;
}

const easypostAddress = (address: LabelAddress) => ({ name: address.name, street1: address.line1, city: address.city, zip: address.postalCode, country: address.country });

/**
 * Return labels from EasyPost's Shipment API (`POST /v2/shipments` with `is_return` and a
 * service: bought in one call; docs/returns.md). A refusal (4xx) is the carrier saying no: 502
 * to ops, nothing changes; no answer or a 5xx is an outage (503, ops try again).
 */
export function createReturnLabels(options: { baseUrl: string; apiKey: string; timeoutMs: number }): ReturnLabels {
  const http = createHttpClient({ prefixUrl: options.baseUrl, timeoutMs: options.timeoutMs, userAgent: 'platform-fulfillment' });
  const authorization = `Basic ${Buffer.from(`${options.apiKey}:`).toString('base64')}`;
  return {
    async buy({ reference, from, to }) {
      let response;
      try {
        response = await http.post('v2/shipments', {
          headers: { authorization },
          json: { shipment: { reference, is_return: true, from_address: easypostAddress(from), to_address: easypostAddress(to), parcel: { weight: 32 }, service: 'Return' } },
          responseType: 'json',
        });
      } catch (error) {
        throw new DomainError('unavailable', 'CARRIER_UNAVAILABLE', `The carrier's label API is unreachable: ${error instanceof Error ? error.message : String(error)}`);
      }
      const body = (response.body ?? {}) as { tracking_code?: unknown; postage_label?: { label_url?: unknown }; selected_rate?: { carrier?: unknown }; error?: { message?: unknown } };
      if (response.statusCode >= 500) throw new DomainError('unavailable', 'CARRIER_UNAVAILABLE', `The carrier's label API answered HTTP ${response.statusCode}`);
      if (response.statusCode >= 300 || typeof body.tracking_code !== 'string' || typeof body.postage_label?.label_url !== 'string') {
        throw new DomainError('bad_gateway', 'RETURN_LABEL_REFUSED', `The carrier refused the return label (HTTP ${response.statusCode}: ${String(body.error?.message ?? 'no label in the answer')})`);
      }
      return { carrier: typeof body.selected_rate?.carrier === 'string' ? body.selected_rate.carrier : 'unknown', trackingNumber: body.tracking_code, labelUrl: body.postage_label.label_url };
    },
  };
}
