import { randomUUID } from 'node:crypto';
import type { Clock } from '@platform/runtime/clock';
import { continueFlow, currentFlow } from '@platform/runtime/context';
import type { Logger } from '@platform/runtime/logger';
import { newEvent, recordEvent, recordEvents } from '@platform/runtime/outbox';
import { cancelTimer, type DueTimer, scheduleTimer } from '@platform/runtime/timers';
import {
  type EventOf,
  type returnChanged,
  type shipmentShipped,
  trackingEstimateChanged,
  trackingRegistered,
  trackingScanned,
  trackingShipmentSilent,
  trackingStatusChanged,
} from '@platform/contracts';
import { timers } from '@platform/contracts/timers';
import { detectCarrier, normalizeTrackingNumber, trackingUrl } from '@platform/contracts/carriers';
import type { BusinessMetrics } from '../adapters/business-metrics';
import type { Transaction } from '../adapters/database';
import type { ProviderShipment } from '../adapters/provider';
import type { TrackingProviders } from '../adapters/tracking-providers';
import { CARRIERS, carrierByCode } from '../domain/carriers';
import { scanFingerprint, type TrackingUpdate } from '../domain/provider-payloads';
import { isTerminal, movesForward, type TrackingStatus } from '../domain/status';
import type { Shipment } from '../generated/prisma/client';

export const SERVICE = 'tracking';
/** Durable timer polling a shipment's provider (first after TRACKING_POLL_FIRST_MS, then every TRACKING_POLL_EVERY_MS). */
export const POLL_TIMER = timers.tracking.poll.kind;
/** Durable timer per shipment: fires when no new scan was learnt for `NO_SCAN_ALERT_MS`. */
export const NO_SCAN_TIMER = timers.tracking.noScanAlert.kind;

export interface TrackingDeps {
  providers: TrackingProviders;
  clock: Clock;
  poll: { firstMs: number; everyMs: number };
  /** How long a shipment on its way may go without a new scan before `tracking.shipment.silent`. */
  noScanAlertMs: number;
  log: Logger;
  metrics: BusinessMetrics;
}

/** (Re)starts the shipment's silence watch: a new scan (or the registration) starts the count again. */
function watchForSilence(tx: Transaction, shipmentId: string, now: Date, deps: TrackingDeps): Promise<void> {
  return scheduleTimer(tx, { kind: NO_SCAN_TIMER, key: shipmentId, fireAt: new Date(now.getTime() + deps.noScanAlertMs) });
}

/** The database as the edges hold it: they hand it to the use cases and run no query of their own. */
export type { Database } from '../adapters/database';

export type ApplyOutcome = 'applied' | 'unchanged' | 'stale';

function providerShipment(shipment: Shipment): ProviderShipment {
  return {
    shipmentId: shipment.id,
    orderId: shipment.orderId,
    trackingNumber: shipment.trackingNumber,
    carrier: carrierByCode(shipment.carrier),
    providerRef: shipment.providerRef,
  };
}

/** Reads the shipment row locked for this transaction: concurrent webhooks and polls of one shipment apply one after another. */
export async function lockShipment(tx: Transaction, where: { id: string } | { trackingNumber: string }): Promise<Shipment | null> {
  const rows =
    'id' in where
      ? await tx.$queryRaw<{ id: string }[]>`SELECT id FROM shipments WHERE id = ${where.id}::uuid FOR UPDATE`
      : await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM shipments WHERE tracking_number = ${normalizeTrackingNumber(where.trackingNumber)}
          ORDER BY shipped_at DESC LIMIT 1 FOR UPDATE`;
  const id = rows[0]?.id;
  return id ? tx.shipment.findUnique({ where: { id } }) : null;
}

/** A parcel to follow: one an order's source shipped, or a customer's return parcel on its way to a hub. */
export interface ParcelToTrack {
  shipmentId: string;
  orderId: string;
  trackingNumber: string;
  carrierHint: string | null;
  /** Who handed it to the carrier: the order's source, or `customer` for a return. */
  supplier: string;
  /** Null for a return parcel: it goes to a hub, not to the order's address. */
  destinationCountry: string | null;
  shippedAt: string;
  /** The return whose parcel it is (its id is `shipmentId` too); null for the order's parcels. */
  returnId: string | null;
}

/** What tracking follows for `fulfillment.shipment.shipped`. */
export const shippedParcel = (shipped: EventOf<typeof shipmentShipped>['data']): ParcelToTrack => ({ ...shipped, returnId: null });

/** What tracking follows for an approved return: its label's number, from the moment the label was bought. */
export const returnParcel = (change: EventOf<typeof returnChanged>['data']): ParcelToTrack | null =>
  change.status === 'approved' && change.label
    ? {
        shipmentId: change.returnId,
        orderId: change.orderId,
        trackingNumber: change.label.trackingNumber,
        carrierHint: change.label.carrier,
        supplier: 'customer',
        destinationCountry: null,
        shippedAt: change.at,
        returnId: change.returnId,
      }
    : null;

/** Names the return on the events of a return parcel (the order's own parcels carry no `returnId`). */
const returnOf = (shipment: Pick<Shipment, 'returnId'>) => (shipment.returnId ? { returnId: shipment.returnId } : {});

/**
 * A parcel shipped (or a return's label bought) → detect the carrier, register the number with
 * 17TRACK (or AfterShip), store the shipment, publish `tracking.shipment.registered` and
 * schedule the first poll. Registration is idempotent at both providers, so a redelivery after
 * a crash between the provider call and the commit registers again harmlessly.
 *
 * A number that fails the check-digit rule of the carrier the supplier named is a wrong
 * number: following it would track somebody else's parcel or nothing. It is kept with no
 * carrier, in `exception`, and not registered, polled or announced (no carrier link
 * anywhere); ops find it in the order's tracking and the warning log.
 */
export async function startTracking(shipped: ParcelToTrack, tx: Transaction, deps: TrackingDeps): Promise<void> {
  const existing = await tx.shipment.findUnique({ where: { id: shipped.shipmentId } });
  // Only this use case creates shipments: a row means the event was handled (tracked or refused).
  if (existing) return;

  const detection = detectCarrier(shipped.trackingNumber, shipped.carrierHint, CARRIERS);
  if (detection.reason === 'invalid') {
    const now = deps.clock.now();
    await tx.shipment.create({
      data: {
        id: shipped.shipmentId,
        orderId: shipped.orderId,
        trackingNumber: detection.number,
        carrier: null,
        carrierHint: shipped.carrierHint,
        supplier: shipped.supplier,
        destinationCountry: shipped.destinationCountry,
        returnId: shipped.returnId,
        status: 'exception',
        shippedAt: new Date(shipped.shippedAt),
        createdAt: now,
        updatedAt: now,
      },
    });
    deps.log.warn(
      { orderId: shipped.orderId, shipmentId: shipped.shipmentId, trackingNumber: detection.number, hinted: detection.hinted, supplier: shipped.supplier },
      'tracking number fails the check-digit rule of the carrier the supplier named; not tracked',
    );
    return;
  }
  const carrier = detection.carrier ?? undefined;
  const { provider, providerRef } = await deps.providers.register({
    shipmentId: shipped.shipmentId,
    orderId: shipped.orderId,
    trackingNumber: detection.number,
    carrier,
    providerRef: null,
  });
  const now = deps.clock.now();
  const fields = {
    orderId: shipped.orderId,
    trackingNumber: detection.number,
    carrier: carrier?.code ?? null,
    carrierHint: shipped.carrierHint,
    supplier: shipped.supplier,
    destinationCountry: shipped.destinationCountry,
    returnId: shipped.returnId,
    provider,
    providerRef,
    shippedAt: new Date(shipped.shippedAt),
    registeredAt: now,
    updatedAt: now,
    // The journey this parcel belongs to: the carrier's webhooks about it continue this correlation id.
    correlationId: currentFlow()?.correlationId ?? null,
  };
  await tx.shipment.upsert({
    where: { id: shipped.shipmentId },
    create: { id: shipped.shipmentId, ...fields, createdAt: now },
    update: fields,
  });
  await recordEvent(
    tx,
    newEvent(trackingRegistered, {
      aggregateId: shipped.orderId,
      source: SERVICE,
      data: {
        orderId: shipped.orderId,
        shipmentId: shipped.shipmentId,
        ...(shipped.returnId && { returnId: shipped.returnId }),
        trackingNumber: detection.number,
        carrier: carrier?.code ?? null,
        carrierName: carrier?.name ?? null,
        trackingUrl: trackingUrl(carrier, detection.number),
        provider,
        registeredAt: now.toISOString(),
      },
      occurredAt: now,
    }),
  );
  await scheduleTimer(tx, { kind: POLL_TIMER, key: shipped.shipmentId, fireAt: new Date(now.getTime() + deps.poll.firstMs) });
  await watchForSilence(tx, shipped.shipmentId, now, deps);
}

/**
 * Applies what a provider said (webhook or poll) to a locked shipment: stores new scans
 * (a scan seen before is skipped by its fingerprint), then moves the status when the update
 * is not older than the last one applied and moves forward (domain/status.ts). A terminal
 * status cancels polling and stops the provider following the number.
 */
export function applyUpdate(tx: Transaction, shipment: Shipment, update: TrackingUpdate, deps: TrackingDeps): Promise<{ outcome: ApplyOutcome; status: TrackingStatus }> {
  // A carrier's webhook carries none of our ids: what it changes continues the shipment's journey.
  return continueFlow(shipment.correlationId, () => applyToShipment(tx, shipment, update, deps));
}

async function applyToShipment(tx: Transaction, shipment: Shipment, update: TrackingUpdate, deps: TrackingDeps): Promise<{ outcome: ApplyOutcome; status: TrackingStatus }> {
  const now = deps.clock.now();
  if (update.scans.length > 0) {
    const stored = await tx.trackingEvent.createManyAndReturn({
      data: update.scans.map((scan) => ({
        id: randomUUID(),
        shipmentId: shipment.id,
        fingerprint: scanFingerprint(scan),
        occurredAt: scan.time,
        status: scan.status,
        providerStatus: scan.providerStatus,
        location: scan.location,
        description: scan.description,
        provider: update.provider,
        raw: scan.raw as object,
        createdAt: now,
      })),
      skipDuplicates: true,
      select: { id: true, occurredAt: true, status: true, location: true, description: true },
    });
    // Each scan once (a scan seen before was skipped), oldest first: the order's timeline shows each with its place.
    await recordEvents(
      tx,
      stored
        .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())
        .map((scan) =>
          newEvent(trackingScanned, {
            aggregateId: shipment.orderId,
            source: SERVICE,
            occurredAt: now,
            data: {
              orderId: shipment.orderId,
              shipmentId: shipment.id,
              ...returnOf(shipment),
              scanId: scan.id,
              trackingNumber: shipment.trackingNumber,
              carrier: shipment.carrier,
              status: (scan.status ?? shipment.status) as TrackingStatus,
              location: scan.location,
              description: scan.description,
              scannedAt: scan.occurredAt.toISOString(),
            },
          }),
        ),
    );
    if (stored.length > 0 && !isTerminal(shipment.status as TrackingStatus)) await watchForSilence(tx, shipment.id, now, deps);
  }
  const current = shipment.status as TrackingStatus;
  if (update.latestEventAt && shipment.lastEventAt && update.latestEventAt < shipment.lastEventAt) {
    return { outcome: 'stale', status: current };
  }
  const next = update.status;
  if (!next || !movesForward(current, next)) {
    if (update.estimatedDelivery && update.estimatedDelivery.getTime() !== shipment.estimatedDelivery?.getTime() && !isTerminal(current)) {
      await tx.shipment.update({ where: { id: shipment.id }, data: { estimatedDelivery: update.estimatedDelivery, updatedAt: now, version: { increment: 1 } } });
      await recordEstimateChanged(tx, shipment, update.estimatedDelivery, update.provider, now);
    }
    return { outcome: 'unchanged', status: current };
  }

  const latestScan = [...update.scans].sort((a, b) => b.time.getTime() - a.time.getTime())[0];
  const estimatedDelivery = update.estimatedDelivery ?? shipment.estimatedDelivery;
  await tx.shipment.update({
    where: { id: shipment.id },
    data: { status: next, lastEventAt: update.latestEventAt ?? shipment.lastEventAt, estimatedDelivery, updatedAt: now, version: { increment: 1 } },
  });
  await recordEvent(
    tx,
    newEvent(trackingStatusChanged, {
      aggregateId: shipment.orderId,
      source: SERVICE,
      data: {
        orderId: shipment.orderId,
        shipmentId: shipment.id,
        ...returnOf(shipment),
        trackingNumber: shipment.trackingNumber,
        carrier: shipment.carrier,
        status: next,
        previousStatus: current,
        event: latestScan ? { time: latestScan.time.toISOString(), location: latestScan.location, description: latestScan.description } : null,
        estimatedDelivery: estimatedDelivery?.toISOString() ?? null,
        provider: update.provider,
        at: now.toISOString(),
      },
      occurredAt: now,
    }),
  );
  if (estimatedDelivery && estimatedDelivery.getTime() !== shipment.estimatedDelivery?.getTime()) {
    await recordEstimateChanged(tx, shipment, estimatedDelivery, update.provider, now);
  }
  // Judged on the carrier's scan where there is one, else on when tracking learnt of it; a return's trip back is no delivery.
  if (next === 'delivered' && !shipment.returnId) deps.metrics.delivered(tx, shipment.shippedAt, latestScan?.time ?? now);
  if (isTerminal(next)) {
    await cancelTimer(tx, POLL_TIMER, shipment.id);
    await cancelTimer(tx, NO_SCAN_TIMER, shipment.id);
    await deps.providers.stop(providerShipment(shipment), shipment.provider);
  }
  return { outcome: 'applied', status: next };
}

/** The estimate travels on its own event too: it may change while the status does not. */
function recordEstimateChanged(tx: Transaction, shipment: Shipment, estimatedDelivery: Date, provider: TrackingUpdate['provider'], now: Date): Promise<void> {
  return recordEvent(
    tx,
    newEvent(trackingEstimateChanged, {
      aggregateId: shipment.orderId,
      source: SERVICE,
      occurredAt: now,
      data: {
        orderId: shipment.orderId,
        shipmentId: shipment.id,
        ...returnOf(shipment),
        trackingNumber: shipment.trackingNumber,
        carrier: shipment.carrier,
        estimatedDelivery: estimatedDelivery.toISOString(),
        previousEstimatedDelivery: shipment.estimatedDelivery?.toISOString() ?? null,
        provider,
        at: now.toISOString(),
      },
    }),
  );
}

/**
 * The `tracking.no-scan-alert` timer: the shipment had no new scan for `NO_SCAN_ALERT_MS` (a
 * new scan would have moved the timer), so `tracking.shipment.silent`. Not scheduled again: the
 * next scan starts a new watch, so one silence is reported once.
 */
export function reportSilence(deps: TrackingDeps) {
  return async (timer: DueTimer, tx: Transaction, now: Date): Promise<void> => {
    const shipment = await lockShipment(tx, { id: timer.key });
    if (!shipment || isTerminal(shipment.status as TrackingStatus)) return;
    const newest = await tx.trackingEvent.findFirst({ where: { shipmentId: shipment.id }, orderBy: { occurredAt: 'desc' }, select: { occurredAt: true } });
    // The timer fires in the flow that scheduled it: the shipment's journey.
    await recordEvent(
      tx,
      newEvent(trackingShipmentSilent, {
        aggregateId: shipment.orderId,
        source: SERVICE,
        occurredAt: now,
        data: {
          orderId: shipment.orderId,
          shipmentId: shipment.id,
          ...returnOf(shipment),
          trackingNumber: shipment.trackingNumber,
          carrier: shipment.carrier,
          status: shipment.status as TrackingStatus,
          lastScanAt: newest?.occurredAt.toISOString() ?? null,
          silentForMs: deps.noScanAlertMs,
          estimatedDelivery: shipment.estimatedDelivery?.toISOString() ?? null,
          at: now.toISOString(),
        },
      }),
    );
  };
}

/**
 * The `tracking.poll` timer: asks the provider for the shipment's state, applies it, and
 * schedules the next poll unless the shipment reached a terminal status. A provider outage
 * makes the handler throw: the timer worker retries it with backoff.
 */
export function pollShipment(deps: TrackingDeps) {
  return async (timer: DueTimer, tx: Transaction, now: Date): Promise<void> => {
    const shipment = await lockShipment(tx, { id: timer.key });
    if (!shipment || isTerminal(shipment.status as TrackingStatus)) return;
    const { provider, providerRef, update } = await deps.providers.fetch(providerShipment(shipment), shipment.provider);
    const moved = provider !== shipment.provider || providerRef !== shipment.providerRef;
    const polled = await tx.shipment.update({
      where: { id: shipment.id },
      data: { lastPolledAt: now, ...(moved ? { provider, providerRef } : {}) },
    });
    const status = update ? (await applyUpdate(tx, polled, update, deps)).status : (shipment.status as TrackingStatus);
    if (!isTerminal(status)) {
      await scheduleTimer(tx, { kind: POLL_TIMER, key: shipment.id, fireAt: new Date(now.getTime() + deps.poll.everyMs) });
    }
  };
}
