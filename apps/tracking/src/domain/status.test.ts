import { describe, expect, it } from 'vitest';
import { fromAftership, fromSeventeenTrack, isTerminal, movesForward, TRACKING_STATUSES } from './status';

describe('status mapping', () => {
  it.each([
    ['NotFound', 'NotFound_Other', 'pending'],
    ['InfoReceived', 'InfoReceived', 'info_received'],
    ['InTransit', 'InTransit_PickedUp', 'in_transit'],
    ['InTransit', 'InTransit_CustomsRequiringInformation', 'delayed'],
    ['OutForDelivery', 'OutForDelivery_Other', 'out_for_delivery'],
    ['AvailableForPickup', 'AvailableForPickup_Other', 'available_for_pickup'],
    ['DeliveryFailure', 'DeliveryFailure_NoBody', 'delivery_failed'],
    ['Delivered', 'Delivered_Other', 'delivered'],
    ['Exception', 'Exception_Returned', 'returned'],
    ['Exception', 'Exception_Returning', 'exception'],
    ['Exception', 'Exception_Delayed', 'delayed'],
    ['Expired', 'Expired_Other', 'expired'],
  ] as const)('17TRACK %s / %s → %s', (status, sub, expected) => {
    expect(fromSeventeenTrack(status, sub)).toBe(expected);
  });

  it.each([
    ['Pending', null, 'pending'],
    ['InfoReceived', 'InfoReceived_001', 'info_received'],
    ['InTransit', 'InTransit_007', 'in_transit'],
    ['OutForDelivery', 'OutForDelivery_001', 'out_for_delivery'],
    ['AttemptFail', 'AttemptFail_001', 'delivery_failed'],
    ['Delivered', 'Delivered_001', 'delivered'],
    ['AvailableForPickup', 'AvailableForPickup_001', 'available_for_pickup'],
    ['Exception', 'Exception_004', 'delayed'],
    ['Exception', 'Exception_016', 'delayed'],
    ['Exception', 'Exception_003', 'exception'],
    ['Expired', 'Expired_001', 'expired'],
  ] as const)('AfterShip %s / %s → %s', (tag, subtag, expected) => {
    expect(fromAftership(tag, subtag)).toBe(expected);
  });

  it('maps unknown provider statuses to nothing rather than guessing', () => {
    expect(fromSeventeenTrack('Teleported', null)).toBeNull();
    expect(fromAftership('Teleported', null)).toBeNull();
  });
});

describe('movesForward', () => {
  it('moves along the journey, never back', () => {
    expect(movesForward('pending', 'in_transit')).toBe(true);
    expect(movesForward('in_transit', 'out_for_delivery')).toBe(true);
    expect(movesForward('out_for_delivery', 'in_transit')).toBe(false);
    expect(movesForward('in_transit', 'info_received')).toBe(false);
    expect(movesForward('in_transit', 'in_transit')).toBe(false);
  });

  it('lets trouble follow any non-terminal status, and progress resume after it', () => {
    expect(movesForward('in_transit', 'exception')).toBe(true);
    expect(movesForward('in_transit', 'delayed')).toBe(true);
    expect(movesForward('out_for_delivery', 'delivery_failed')).toBe(true);
    expect(movesForward('out_for_delivery', 'exception')).toBe(true);
    expect(movesForward('exception', 'in_transit')).toBe(true);
    expect(movesForward('delivery_failed', 'out_for_delivery')).toBe(true);
    expect(movesForward('delivery_failed', 'delivered')).toBe(true);
  });

  it('never leaves a terminal status', () => {
    for (const terminal of ['delivered', 'returned', 'expired'] as const) {
      expect(isTerminal(terminal)).toBe(true);
      for (const next of TRACKING_STATUSES) expect(movesForward(terminal, next)).toBe(false);
    }
  });
});
