/**
 * What the tracking-provider simulators (17TRACK, AfterShip) share: the courier's scripted
 * scans, the `_sim/push` body, and the webhook sender. `pnpm courier` walks the same progression.
 */
import { type TrackingStatus, trackingStatusSchema } from '@platform/contracts';
import type { FastifyReply } from 'fastify';
import got from 'got';

/**
 * The normalized statuses a courier pushes (the platform's tracking status set) and the
 * scripted progression `_sim/progress` walks: InfoReceived → InTransit → OutForDelivery → Delivered.
 */
export const TRACKING_PROGRESSION = ['info_received', 'in_transit', 'out_for_delivery', 'delivered'] as const;
/** The platform's normalized statuses (the push route accepts them besides the provider's own). */
export const NORMALIZED_STATUSES = trackingStatusSchema.options;
export type NormalizedStatus = TrackingStatus;

/** What a scripted step says when the push names no description or location. */
export const STEP_TEXT: Record<NormalizedStatus, { description: string; location: string }> = {
  pending: { description: 'Tracking number registered', location: '' },
  info_received: { description: 'Shipment information received by the carrier', location: 'Shenzhen, CN' },
  in_transit: { description: 'Departed from sorting center', location: 'Madrid, ES' },
  out_for_delivery: { description: 'Out for delivery', location: 'Madrid, ES' },
  delivered: { description: 'Delivered, signed by the recipient', location: 'Madrid, ES' },
  delivery_failed: { description: 'Delivery attempt failed: recipient not at home', location: 'Madrid, ES' },
  available_for_pickup: { description: 'Available for pickup at the post office', location: 'Madrid, ES' },
  exception: { description: 'Shipment exception', location: 'Madrid, ES' },
  delayed: { description: 'Delayed in customs clearance', location: 'Madrid, ES' },
  returned: { description: 'Returned to sender', location: 'Shenzhen, CN' },
  expired: { description: 'No updates for a long time', location: '' },
};

/** Where the script resumes after an off-script push (a failed attempt is followed by another delivery run). */
const RESUME_AFTER: Partial<Record<NormalizedStatus, NormalizedStatus | null>> = {
  pending: 'info_received',
  delayed: 'in_transit',
  exception: 'in_transit',
  delivery_failed: 'out_for_delivery',
  available_for_pickup: 'delivered',
  returned: null,
  expired: null,
};

/** The next step of the scripted progression after `current` (null = nothing pushed yet), or null at its end. */
export function nextStep(current: NormalizedStatus | null): NormalizedStatus | null {
  if (current === null) return TRACKING_PROGRESSION[0];
  const index = TRACKING_PROGRESSION.indexOf(current as (typeof TRACKING_PROGRESSION)[number]);
  return index === -1 ? (RESUME_AFTER[current] ?? null) : (TRACKING_PROGRESSION[index + 1] ?? null);
}

/** Body of `POST /<prefix>/_sim/push`. */
export interface PushRequest {
  number?: unknown;
  status?: unknown;
  location?: unknown;
  description?: unknown;
  /** ISO time of the scan (default now): an older time makes a stale update. */
  time?: unknown;
  /** ISO time the carrier now expects to deliver, from this scan on (default: two days after registration). */
  estimatedDelivery?: unknown;
}

/** A courier's usual estimate for a parcel it has just been given. */
const DEFAULT_ESTIMATE_MS = 2 * 86_400_000;

/** The estimate a provider shows: the last one pushed, else two days after registration. */
export function estimateOf(parcel: { eta?: string | undefined }, registeredAt: string): string {
  return parcel.eta ?? new Date(Date.parse(registeredAt) + DEFAULT_ESTIMATE_MS).toISOString();
}

/** Why a push's `estimatedDelivery` is unusable, or undefined (absent or an ISO time). */
export function invalidEstimate(body: PushRequest): string | undefined {
  if (body.estimatedDelivery === undefined) return undefined;
  return typeof body.estimatedDelivery === 'string' && !Number.isNaN(Date.parse(body.estimatedDelivery)) ? undefined : 'estimatedDelivery must be an ISO date-time';
}

/** Remembers a pushed estimate on the parcel (it stays until another is pushed). */
export function takeEstimate(parcel: { eta?: string | undefined }, body: PushRequest): void {
  if (typeof body.estimatedDelivery === 'string') parcel.eta = new Date(body.estimatedDelivery).toISOString();
}

export function badRequest(reply: FastifyReply, message: string) {
  return reply.code(400).send({ error: message });
}

/** POSTs a signed webhook and reports what the receiver answered. */
export async function deliverWebhook(url: string, body: string, headers: Record<string, string>) {
  try {
    const response = await got.post(url, { body, headers: { 'content-type': 'application/json', ...headers }, throwHttpErrors: false, retry: { limit: 0 }, timeout: { request: 10_000 } });
    let answer: unknown = response.body;
    try {
      answer = JSON.parse(response.body);
    } catch {
      // keep the text
    }
    return { url, statusCode: response.statusCode, body: answer };
  } catch (error) {
    return { url, statusCode: null, error: (error as Error).message };
  }
}

/** A tracking number as both providers key it: no spaces, upper case. */
export const normalizeTrackingNumber = (number: unknown) => String(number ?? '').replaceAll(/\s+/g, '').toUpperCase();
