import { z } from 'zod';
import { defineEvent } from '../envelope';
import { timestamp } from '../primitives';

/** The one normalized status set every provider's statuses map onto (TRK-02). */
export const trackingStatusSchema = z.enum([
  'pending',
  'info_received',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'delivery_failed',
  'available_for_pickup',
  'exception',
  'delayed',
  'returned',
  'expired',
]);
export type TrackingStatus = z.infer<typeof trackingStatusSchema>;

/**
 * Set when the parcel is a return's (docs/returns.md), whose id is then `shipmentId` too: the
 * customer's parcel on its way back to a hub, which says nothing of the order's delivery.
 */
const returnId = z.uuid().optional();

/** Tracking follows a number: carrier detected, registered with a provider (TRK-01, TRK-02). */
export const trackingRegistered = defineEvent({
  type: 'tracking.shipment.registered',
  version: 1,
  stream: 'TRACKING',
  description: 'A tracking number was registered with a tracking provider.',
  data: z.object({
    orderId: z.uuid(),
    shipmentId: z.uuid(),
    returnId,
    trackingNumber: z.string(),
    carrier: z.string().nullable(),
    carrierName: z.string().nullable(),
    trackingUrl: z.string().nullable(),
    provider: z.enum(['17track', 'aftership']),
    registeredAt: timestamp,
  }),
});

/** The shipment's normalized status moved (duplicates and stale updates are not published). */
export const trackingStatusChanged = defineEvent({
  type: 'tracking.shipment.status_changed',
  version: 1,
  stream: 'TRACKING',
  description: 'A shipment changed normalized tracking status.',
  data: z.object({
    orderId: z.uuid(),
    shipmentId: z.uuid(),
    returnId,
    trackingNumber: z.string(),
    carrier: z.string().nullable(),
    status: trackingStatusSchema,
    previousStatus: trackingStatusSchema.nullable(),
    event: z.object({ time: timestamp, location: z.string().nullable(), description: z.string() }).nullable(),
    estimatedDelivery: timestamp.nullable(),
    provider: z.enum(['17track', 'aftership']),
    at: timestamp,
  }),
});

/**
 * The carrier scanned the parcel: one per scan seen for the first time, whether or not the
 * normalized status moved (a parcel in transit is scanned in several places), so the order's
 * timeline shows each scan with its place (GW-03).
 */
export const trackingScanned = defineEvent({
  type: 'tracking.shipment.scanned',
  version: 1,
  stream: 'TRACKING',
  description: 'The carrier scanned a shipment (each scan once, with its place), whether or not its normalized status moved.',
  data: z.object({
    orderId: z.uuid(),
    shipmentId: z.uuid(),
    returnId,
    scanId: z.uuid(),
    trackingNumber: z.string(),
    carrier: z.string().nullable(),
    /** The scan's status, normalized (the shipment's status then, when the carrier's did not map). */
    status: trackingStatusSchema,
    location: z.string().nullable(),
    description: z.string(),
    scannedAt: timestamp,
  }),
});


/**
 * The carrier's estimated delivery changed (with or without a status change): the delivery
 * promise is checked against it (docs/delivery-promise.md).
 */
export const trackingEstimateChanged = defineEvent({
  type: 'tracking.shipment.estimate_changed',
  version: 1,
  stream: 'TRACKING',
  description: "The carrier's estimated delivery of a shipment changed (first estimate included).",
  data: z.object({
    orderId: z.uuid(),
    shipmentId: z.uuid(),
    returnId,
    trackingNumber: z.string(),
    carrier: z.string().nullable(),
    estimatedDelivery: timestamp,
    previousEstimatedDelivery: timestamp.nullable(),
    provider: z.enum(['17track', 'aftership']),
    at: timestamp,
  }),
});

/** A shipment still on its way had no carrier scan for `NO_SCAN_ALERT_MS`; once per silence (a new scan ends it). */
export const trackingShipmentSilent = defineEvent({
  type: 'tracking.shipment.silent',
  version: 1,
  stream: 'TRACKING',
  description: 'A shipment not yet delivered had no carrier scan for NO_SCAN_ALERT_MS.',
  data: z.object({
    orderId: z.uuid(),
    shipmentId: z.uuid(),
    returnId,
    trackingNumber: z.string(),
    carrier: z.string().nullable(),
    status: trackingStatusSchema,
    /** The newest scan's time, or null when the carrier never scanned it (silent since shipping). */
    lastScanAt: timestamp.nullable(),
    silentForMs: z.number().int().positive(),
    estimatedDelivery: timestamp.nullable(),
    at: timestamp,
  }),
});

export const trackingEvents = [trackingRegistered, trackingStatusChanged, trackingScanned, trackingEstimateChanged, trackingShipmentSilent] as const;
