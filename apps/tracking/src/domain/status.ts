import { type TrackingStatus, trackingStatusSchema } from '@platform/contracts';

export type { TrackingStatus };
export const TRACKING_STATUSES = trackingStatusSchema.options;

/** A shipment in one of these is finished: polling stops and no update moves it again. */
export const TERMINAL_STATUSES: ReadonlySet<TrackingStatus> = new Set(['delivered', 'returned', 'expired']);

/** Trouble on the way: may follow any non-terminal status, and progress may resume after it. */
const PROBLEM_STATUSES: ReadonlySet<TrackingStatus> = new Set(['exception', 'delayed', 'delivery_failed']);

/**
 * How far along the journey a status is. Updates arrive late and out of order (a poll
 * answer older than a webhook, a replayed scan); a status never moves to a lower rank.
 */
const PROGRESS_RANK: Record<TrackingStatus, number> = {
  pending: 0,
  info_received: 1,
  in_transit: 2,
  delayed: 2,
  exception: 2,
  out_for_delivery: 3,
  available_for_pickup: 3,
  delivery_failed: 3,
  delivered: 4,
  returned: 4,
  expired: 4,
};

export function isTerminal(status: TrackingStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Whether a shipment in `current` should take `next`: forward, or into trouble; never back, never out of a terminal status. */
export function movesForward(current: TrackingStatus, next: TrackingStatus): boolean {
  if (next === current || isTerminal(current)) return false;
  return PROBLEM_STATUSES.has(next) || PROGRESS_RANK[next] >= PROGRESS_RANK[current];
}

/** 17TRACK v2.2 main status (`latest_status.status`) and sub-status → the normalized status. */
export function fromSeventeenTrack(status: string | null | undefined, subStatus?: string | null): TrackingStatus | null {
  switch (subStatus) {
    case 'Exception_Returned':
      return 'returned';
    case 'Exception_Delayed':
    case 'InTransit_CustomsRequiringInformation':
      return 'delayed';
  }
  switch (status) {
    case 'NotFound':
      return 'pending';
    case 'InfoReceived':
      return 'info_received';
    case 'InTransit':
      return 'in_transit';
    case 'Expired':
      return 'expired';
    case 'AvailableForPickup':
      return 'available_for_pickup';
    case 'OutForDelivery':
      return 'out_for_delivery';
    case 'DeliveryFailure':
      return 'delivery_failed';
    case 'Delivered':
      return 'delivered';
    case 'Exception':
      return 'exception';
    default:
      return null;
  }
}

/** AfterShip subtags that mean "late", not "went wrong" (Delayed (Customs clearance / External factors / Processing / Weather)). */
const AFTERSHIP_DELAY_SUBTAGS = new Set(['Exception_004', 'Exception_005', 'Exception_016', 'Exception_017']);

/** AfterShip `tag` and `subtag` → the normalized status. */
export function fromAftership(tag: string | null | undefined, subtag?: string | null): TrackingStatus | null {
  if (subtag && AFTERSHIP_DELAY_SUBTAGS.has(subtag)) return 'delayed';
  switch (tag) {
    case 'Pending':
      return 'pending';
    case 'InfoReceived':
      return 'info_received';
    case 'InTransit':
      return 'in_transit';
    case 'OutForDelivery':
      return 'out_for_delivery';
    case 'AttemptFail':
      return 'delivery_failed';
    case 'Delivered':
      return 'delivered';
    case 'AvailableForPickup':
      return 'available_for_pickup';
    case 'Exception':
      return 'exception';
    case 'Expired':
      return 'expired';
    default:
      return null;
  }
}
