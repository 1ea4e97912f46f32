import { aftershipWebhookSchema, seventeenTrackWebhookSchema } from '@platform/contracts/api/tracking';
import { describe, expect, it } from 'vitest';
import { fromAftershipTracking, fromSeventeenTrackInfo, scanFingerprint } from './provider-payloads';

/** A TRACKING_UPDATED webhook as 17TRACK documents it (trimmed to the fields tracking reads, plus some it ignores). */
const seventeenTrackWebhook = {
  event: 'TRACKING_UPDATED',
  data: {
    number: 'RB123456785CN',
    carrier: 3011,
    param: null,
    tag: 'shipment-1',
    track_info: {
      shipping_info: { shipper_address: { country: 'CN' } },
      latest_status: { status: 'DeliveryFailure', sub_status: 'DeliveryFailure_NoBody', sub_status_descr: null },
      latest_event: { time_iso: '2026-11-20T09:15:00+01:00', time_utc: '2026-11-20T08:15:00Z', description: 'Nobody home', location: 'Madrid, ES', stage: null, sub_status: 'DeliveryFailure_NoBody' },
      time_metrics: { days_after_order: 6, estimated_delivery_date: { source: 'Official', from: '2026-11-21T00:00:00Z', to: '2026-11-22T00:00:00Z' } },
      milestone: [],
      tracking: {
        providers_hash: 1,
        providers: [
          {
            provider: { key: 3011, name: 'China Post' },
            events: [
              { time_iso: '2026-11-20T09:15:00+01:00', time_utc: '2026-11-20T08:15:00Z', description: 'Nobody home', location: 'Madrid, ES', sub_status: 'DeliveryFailure_NoBody' },
              { time_iso: '2026-11-20T07:00:00+01:00', time_utc: '2026-11-20T06:00:00Z', description: 'Out for delivery', location: 'Madrid, ES', sub_status: 'OutForDelivery_Other' },
              { time_iso: '2026-11-15T10:00:00+08:00', time_utc: '2026-11-15T02:00:00Z', description: 'Accepted', location: 'Shenzhen, CN', sub_status: 'InTransit_PickedUp' },
            ],
          },
        ],
      },
    },
  },
};

const aftershipWebhook = {
  event: 'tracking_update',
  event_id: '1b9cb1c2-bd1e-4e26-8b6e-1a8f3a0e4c77',
  is_tracking_first_tag: true,
  msg: {
    id: 'f3a1c2d4e5f60718293a4b5c6d7e8f90',
    tracking_number: '9405511202575421535949',
    slug: 'usps',
    tag: 'Exception',
    subtag: 'Exception_004',
    subtag_message: 'Delayed (Customs clearance)',
    checkpoints: [
      { checkpoint_time: '2026-11-18T10:00:00-05:00', created_at: '2026-11-18T15:01:00Z', message: 'Accepted at USPS origin facility', tag: 'InTransit', subtag: 'InTransit_002', location: null, city: 'Brooklyn', state: 'NY', country_iso3: 'USA' },
      { checkpoint_time: '2026-11-19T08:00:00-05:00', created_at: '2026-11-19T13:01:00Z', message: 'Held in customs', tag: 'Exception', subtag: 'Exception_004', location: 'ISC New York NY' },
    ],
    courier_estimated_delivery_date: { estimated_delivery_date: '2026-11-25', estimated_delivery_date_min: null, estimated_delivery_date_max: null },
  },
  ts: 1763564460,
};

describe('17TRACK track_info → TrackingUpdate', () => {
  it('normalizes status, scans, newest event time and the estimated delivery', () => {
    const body = seventeenTrackWebhookSchema.parse(seventeenTrackWebhook);
    const update = fromSeventeenTrackInfo(body.data.number, body.data.track_info);
    expect(update).toMatchObject({
      provider: '17track',
      number: 'RB123456785CN',
      status: 'delivery_failed',
      providerStatus: 'DeliveryFailure_NoBody',
      latestEventAt: new Date('2026-11-20T08:15:00Z'),
      estimatedDelivery: new Date('2026-11-22T00:00:00Z'),
    });
    expect(update.scans.map((s) => [s.status, s.location, s.description])).toEqual([
      ['delivery_failed', 'Madrid, ES', 'Nobody home'],
      ['out_for_delivery', 'Madrid, ES', 'Out for delivery'],
      ['in_transit', 'Shenzhen, CN', 'Accepted'],
    ]);
  });

  it('copes with a number 17TRACK knows nothing about yet', () => {
    expect(fromSeventeenTrackInfo('RB123456785CN', null)).toMatchObject({ status: null, scans: [], latestEventAt: null, estimatedDelivery: null });
  });
});

describe('AfterShip tracking → TrackingUpdate', () => {
  it('normalizes tag/subtag, checkpoints (location from its parts) and the courier estimate', () => {
    const body = aftershipWebhookSchema.parse(aftershipWebhook);
    const update = fromAftershipTracking(body.msg);
    expect(update).toMatchObject({
      provider: 'aftership',
      status: 'delayed',
      providerStatus: 'Exception_004',
      latestEventAt: new Date('2026-11-19T13:00:00Z'),
      estimatedDelivery: new Date('2026-11-25T00:00:00Z'),
    });
    expect(update.scans.map((s) => [s.status, s.location])).toEqual([
      ['in_transit', 'Brooklyn, NY, USA'],
      ['delayed', 'ISC New York NY'],
    ]);
  });

  it('refuses a webhook without event_id or tracking number', () => {
    expect(aftershipWebhookSchema.safeParse({ ...aftershipWebhook, event_id: undefined }).success).toBe(false);
    expect(aftershipWebhookSchema.safeParse({ ...aftershipWebhook, msg: { tag: 'Delivered' } }).success).toBe(false);
  });
});

it('fingerprints a scan by what it says, not by who reported it when', () => {
  const scan = { time: new Date('2026-11-20T08:15:00Z'), providerStatus: 'Delivered_Other', location: 'Madrid, ES', description: 'Delivered' };
  expect(scanFingerprint(scan)).toBe(scanFingerprint({ ...scan }));
  expect(scanFingerprint(scan)).not.toBe(scanFingerprint({ ...scan, time: new Date('2026-11-20T08:16:00Z') }));
  expect(scanFingerprint(scan)).not.toBe(scanFingerprint({ ...scan, description: 'Delivered to neighbour' }));
});
