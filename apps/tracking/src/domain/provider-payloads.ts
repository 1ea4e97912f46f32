import { createHash } from 'node:crypto';
import type { AftershipTracking, SeventeenTrackInfo } from '@platform/contracts/api/tracking';
import { fromAftership, fromSeventeenTrack, type TrackingStatus } from './status';

export type ProviderName = '17track' | 'aftership';

/** One carrier scan, normalized. */
export interface TrackingScan {
  time: Date;
  status: TrackingStatus | null;
  providerStatus: string | null;
  location: string | null;
  description: string;
  raw: unknown;
}

/** What a provider says about a number right now (a webhook or a poll answer), normalized. */
export interface TrackingUpdate {
  provider: ProviderName;
  number: string;
  status: TrackingStatus | null;
  providerStatus: string | null;
  /** Time of the newest scan: an update older than what was applied is stale. */
  latestEventAt: Date | null;
  estimatedDelivery: Date | null;
  scans: TrackingScan[];
}

/** Stable across polls and webhooks: the same scan reported twice has the same fingerprint. */
export function scanFingerprint(scan: Pick<TrackingScan, 'time' | 'providerStatus' | 'location' | 'description'>): string {
  return createHash('sha256')
    .update([scan.time.toISOString(), scan.providerStatus ?? '', scan.location ?? '', scan.description].join('\u001f'))
    .digest('hex');
}

const dateOf = (value: string | null | undefined): Date | null => {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
};
const newest = (scans: TrackingScan[]): Date | null =>
  scans.reduce<Date | null>((latest, scan) => (latest && latest >= scan.time ? latest : scan.time), null);

// ---- 17TRACK v2.2 (track_info in gettrackinfo answers and TRACKING_UPDATED webhooks) ----

function seventeenTrackScan(event: NonNullable<SeventeenTrackInfo['latest_event']>): TrackingScan | null {
  const time = dateOf(event.time_utc ?? event.time_iso);
  if (!time) return null;
  const sub = event.sub_status ?? null;
  return {
    time,
    status: fromSeventeenTrack(sub?.split('_')[0] ?? event.stage, sub),
    providerStatus: sub ?? event.stage ?? null,
    location: event.location || null,
    description: event.description || sub || 'Tracking update',
    raw: event,
  };
}

export function fromSeventeenTrackInfo(number: string, info: SeventeenTrackInfo | null | undefined): TrackingUpdate {
  const events = info?.tracking?.providers?.flatMap((p) => p.events ?? []) ?? [];
  if (events.length === 0 && info?.latest_event) events.push(info.latest_event);
  const scans = events.map(seventeenTrackScan).filter((s): s is TrackingScan => s !== null);
  const latest = info?.latest_status;
  const estimate = info?.time_metrics?.estimated_delivery_date;
  return {
    provider: '17track',
    number,
    status: fromSeventeenTrack(latest?.status, latest?.sub_status),
    providerStatus: latest?.sub_status ?? latest?.status ?? null,
    latestEventAt: dateOf(info?.latest_event?.time_utc ?? info?.latest_event?.time_iso) ?? newest(scans),
    estimatedDelivery: dateOf(estimate?.to ?? estimate?.from),
    scans,
  };
}

// ---- AfterShip (Tracking object in GET /trackings answers and `msg` of webhooks) ----

function aftershipScan(checkpoint: NonNullable<AftershipTracking['checkpoints']>[number]): TrackingScan | null {
  const time = dateOf(checkpoint.checkpoint_time ?? checkpoint.created_at);
  if (!time) return null;
  const place = checkpoint.location || [checkpoint.city, checkpoint.state, checkpoint.country_iso3].filter(Boolean).join(', ');
  return {
    time,
    status: fromAftership(checkpoint.tag, checkpoint.subtag),
    providerStatus: checkpoint.subtag ?? checkpoint.tag ?? null,
    location: place || null,
    description: checkpoint.message || checkpoint.subtag || checkpoint.tag || 'Tracking update',
    raw: checkpoint,
  };
}

export function fromAftershipTracking(tracking: AftershipTracking): TrackingUpdate {
  const scans = (tracking.checkpoints ?? []).map(aftershipScan).filter((s): s is TrackingScan => s !== null);
  return {
    provider: 'aftership',
    number: tracking.tracking_number,
    status: fromAftership(tracking.tag, tracking.subtag),
    providerStatus: tracking.subtag ?? tracking.tag ?? null,
    latestEventAt: newest(scans),
    estimatedDelivery: dateOf(
      tracking.courier_estimated_delivery_date?.estimated_delivery_date ??
        tracking.aftership_estimated_delivery_date?.estimated_delivery_date ??
        tracking.expected_delivery,
    ),
    scans,
  };
}
