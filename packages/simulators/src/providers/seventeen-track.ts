import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimulatorContext } from '../context';
import {
  badRequest,
  deliverWebhook,
  estimateOf,
  invalidEstimate,
  type NormalizedStatus,
  NORMALIZED_STATUSES,
  nextStep,
  normalizeTrackingNumber as normalize,
  type PushRequest,
  STEP_TEXT,
  takeEstimate,
} from '../tracking-scans';

/** 17TRACK API v2.2 (docs/providers/17track.md). */

const MAIN_STATUSES = ['NotFound', 'InfoReceived', 'InTransit', 'Expired', 'AvailableForPickup', 'OutForDelivery', 'DeliveryFailure', 'Delivered', 'Exception'];

const SEVENTEEN_TRACK_STATUS: Record<NormalizedStatus, { status: string; sub_status: string }> = {
  pending: { status: 'NotFound', sub_status: 'NotFound_Other' },
  info_received: { status: 'InfoReceived', sub_status: 'InfoReceived' },
  in_transit: { status: 'InTransit', sub_status: 'InTransit_Departure' },
  out_for_delivery: { status: 'OutForDelivery', sub_status: 'OutForDelivery_Other' },
  delivered: { status: 'Delivered', sub_status: 'Delivered_Other' },
  delivery_failed: { status: 'DeliveryFailure', sub_status: 'DeliveryFailure_NoBody' },
  available_for_pickup: { status: 'AvailableForPickup', sub_status: 'AvailableForPickup_Other' },
  exception: { status: 'Exception', sub_status: 'Exception_Other' },
  delayed: { status: 'Exception', sub_status: 'Exception_Delayed' },
  returned: { status: 'Exception', sub_status: 'Exception_Returned' },
  expired: { status: 'Expired', sub_status: 'Expired_Other' },
};
const NORMALIZED_BY_17TRACK_STATUS: Record<string, NormalizedStatus> = {
  NotFound: 'pending',
  InfoReceived: 'info_received',
  InTransit: 'in_transit',
  Expired: 'expired',
  AvailableForPickup: 'available_for_pickup',
  OutForDelivery: 'out_for_delivery',
  DeliveryFailure: 'delivery_failed',
  Delivered: 'delivered',
  Exception: 'exception',
};

const ERRORS = {
  key: { code: -18010002, message: 'The security key is invalid.' },
  format: { code: -18010012, message: 'The format of the number is invalid.' },
  tooMany: { code: -18010014, message: 'More than 40 numbers in one request.' },
  registered: { code: -18019901, message: 'The number has been registered, do not register it again.' },
  notRegistered: { code: -18019902, message: 'The number is not registered.' },
  undetected: { code: -18019903, message: 'The carrier cannot be detected.' },
};

interface SeventeenTrackEvent {
  time_iso: string;
  time_utc: string;
  description: string;
  location: string | null;
  stage: string;
  sub_status: string;
  address: { country: string | null; state: string | null; city: string | null; street: null; postal_code: null; coordinates: { longitude: null; latitude: null } };
}

interface Parcel {
  number: string;
  carrier: number;
  tag: string | null;
  param: string | null;
  /** ISO time (a string, as the state file keeps it). */
  registeredAt: string;
  /** The carrier's estimated delivery, once a push named one (ISO). */
  eta?: string;
  /** The normalized status of the newest scan (what `_sim/progress` continues from). */
  step: NormalizedStatus | null;
  latest: { status: string; sub_status: string };
  events: SeventeenTrackEvent[];
  tracking: boolean;
}

function trackInfo(parcel: Parcel) {
  const latestEvent = parcel.events[0] ?? null;
  const eta = estimateOf(parcel, parcel.registeredAt);
  return {
    shipping_info: { shipper_address: { country: 'CN' }, recipient_address: { country: null } },
    latest_status: { ...parcel.latest, sub_status_descr: null },
    latest_event: latestEvent,
    time_metrics: {
      days_after_order: 0,
      days_of_transit: 0,
      days_of_transit_done: 0,
      days_after_last_update: 0,
      estimated_delivery_date: { source: '17TRACK', from: eta, to: eta },
    },
    milestone: [],
    misc_info: {},
    tracking: {
      providers_hash: parcel.events.length,
      providers: [
        {
          provider: { key: parcel.carrier, name: null, alias: null, tel: null, homepage: null, country: null },
          service_type: null,
          latest_sync_status: 'Success',
          latest_sync_time: latestEvent?.time_utc ?? parcel.registeredAt,
          events_hash: parcel.events.length,
          events: parcel.events,
        },
      ],
    },
  };
}

export function registerSeventeenTrack(app: FastifyInstance, context: SimulatorContext): void {
  const { control, credentials, webhookBaseUrl } = context;
  const { parcels } = context.store.keep(() => ({ parcels: new Map<string, Parcel>() }));

  /** Auth, switch and shape checks every API call shares; undefined when the reply was sent. */
  async function guard(request: FastifyRequest, reply: FastifyReply): Promise<Array<Record<string, unknown>> | undefined> {
    if (request.headers['17token'] !== credentials.seventeenTrack.apiKey) {
      control.record(request, 'unauthorized');
      await reply.code(401).send({ code: ERRORS.key.code, data: { errors: [ERRORS.key] } });
      return undefined;
    }
    const behaviour = control.next();
    if (await control.applyFailure(behaviour, request, reply)) return undefined;
    const items = request.body;
    if (!Array.isArray(items)) {
      control.record(request, 'invalid');
      await reply.code(200).send({ code: ERRORS.format.code, data: { errors: [{ ...ERRORS.format, message: 'The request body must be a JSON array.' }] } });
      return undefined;
    }
    if (items.length > 40) {
      control.record(request, 'invalid');
      await reply.code(200).send({ code: ERRORS.tooMany.code, data: { errors: [ERRORS.tooMany] } });
      return undefined;
    }
    control.record(request, behaviour.mode);
    if (behaviour.mode === 'reject') {
      await reply.send({ code: 0, data: { accepted: [], rejected: items.map((item) => ({ number: normalize(item?.number), error: ERRORS.undetected })) } });
      return undefined;
    }
    return items as Array<Record<string, unknown>>;
  }

  const answer = (accepted: unknown[], rejected: unknown[]) => ({ code: 0, data: { accepted, rejected } });
  const rejectedItem = (number: string, error: { code: number; message: string }) => ({ number, error });

  app.post('/register', async (request, reply) => {
    const items = await guard(request, reply);
    if (!items) return reply;
    const accepted: unknown[] = [];
    const rejected: unknown[] = [];
    for (const item of items) {
      const number = normalize(item.number);
      if (!/^[A-Z0-9]{5,50}$/.test(number)) rejected.push(rejectedItem(number, ERRORS.format));
      else if (parcels.has(number)) rejected.push(rejectedItem(number, ERRORS.registered));
      else {
        const carrier = typeof item.carrier === 'number' ? item.carrier : 3011;
        const tag = typeof item.tag === 'string' ? item.tag : null;
        parcels.set(number, {
          number,
          carrier,
          tag,
          param: typeof item.param === 'string' ? item.param : null,
          registeredAt: new Date().toISOString(),
          step: null,
          latest: SEVENTEEN_TRACK_STATUS.pending,
          events: [],
          tracking: true,
        });
        accepted.push({ origin: 1, number, carrier, tag });
      }
    }
    return answer(accepted, rejected);
  });

  app.post('/gettrackinfo', async (request, reply) => {
    const items = await guard(request, reply);
    if (!items) return reply;
    const accepted: unknown[] = [];
    const rejected: unknown[] = [];
    for (const item of items) {
      const parcel = parcels.get(normalize(item.number));
      if (!parcel) rejected.push(rejectedItem(normalize(item.number), ERRORS.notRegistered));
      else accepted.push({ number: parcel.number, carrier: parcel.carrier, param: parcel.param, tag: parcel.tag, track_info: trackInfo(parcel) });
    }
    return answer(accepted, rejected);
  });

  app.post('/stoptrack', async (request, reply) => {
    const items = await guard(request, reply);
    if (!items) return reply;
    const accepted: unknown[] = [];
    const rejected: unknown[] = [];
    for (const item of items) {
      const parcel = parcels.get(normalize(item.number));
      if (!parcel) rejected.push(rejectedItem(normalize(item.number), ERRORS.notRegistered));
      else {
        parcel.tracking = false;
        accepted.push({ number: parcel.number, carrier: parcel.carrier });
      }
    }
    return answer(accepted, rejected);
  });

  /** Appends a scan and sends the signed TRACKING_UPDATED webhook; a number not registered yet is registered first. */
  async function push(body: PushRequest, status: NormalizedStatus) {
    const number = normalize(body.number);
    let parcel = parcels.get(number);
    if (!parcel) {
      parcel = { number, carrier: 3011, tag: null, param: null, registeredAt: new Date().toISOString(), step: null, latest: SEVENTEEN_TRACK_STATUS.pending, events: [], tracking: true };
      parcels.set(number, parcel);
    }
    takeEstimate(parcel, body);
    const provider = typeof body.status === 'string' && !NORMALIZED_STATUSES.includes(body.status as NormalizedStatus) ? body.status : null;
    const mapped = provider
      ? { status: provider.split('_')[0]!, sub_status: provider.includes('_') || provider === 'InfoReceived' ? provider : `${provider}_Other` }
      : SEVENTEEN_TRACK_STATUS[status];
    const time = typeof body.time === 'string' ? new Date(body.time) : new Date();
    const text = STEP_TEXT[status];
    const location = typeof body.location === 'string' ? body.location : text.location || null;
    const event: SeventeenTrackEvent = {
      time_iso: time.toISOString(),
      time_utc: time.toISOString(),
      description: typeof body.description === 'string' ? body.description : text.description,
      location,
      stage: mapped.status,
      sub_status: mapped.sub_status,
      address: { country: location?.split(', ')[1] ?? null, state: null, city: location?.split(', ')[0] ?? null, street: null, postal_code: null, coordinates: { longitude: null, latitude: null } },
    };
    parcel.events.push(event);
    parcel.events.sort((a, b) => b.time_utc.localeCompare(a.time_utc));
    // The newest scan decides the latest status, as at the real provider.
    if (parcel.events[0] === event) {
      parcel.latest = mapped;
      parcel.step = status;
    }
    const payload = JSON.stringify({
      event: 'TRACKING_UPDATED',
      data: { number: parcel.number, carrier: parcel.carrier, param: parcel.param, tag: parcel.tag, track_info: trackInfo(parcel) },
    });
    const sign = createHash('sha256').update(`${payload}/${credentials.seventeenTrack.apiKey}`).digest('hex');
    const webhook = await deliverWebhook(`${webhookBaseUrl}/v1/webhooks/17track`, payload, { sign });
    return { number, status, providerStatus: mapped, event, webhook };
  }

  /** The normalized status a push names: a normalized status, a 17TRACK main status or a sub-status. */
  function statusOf(value: unknown): NormalizedStatus | undefined {
    if (typeof value !== 'string') return undefined;
    if (NORMALIZED_STATUSES.includes(value as NormalizedStatus)) return value as NormalizedStatus;
    const main = value.split('_')[0]!;
    if (!MAIN_STATUSES.includes(main)) return undefined;
    const exact = Object.entries(SEVENTEEN_TRACK_STATUS).find(([, s]) => s.sub_status === value);
    return (exact?.[0] as NormalizedStatus | undefined) ?? NORMALIZED_BY_17TRACK_STATUS[main];
  }

  app.post('/_sim/push', async (request, reply) => {
    const body = (request.body ?? {}) as PushRequest;
    const status = statusOf(body.status);
    if (!normalize(body.number)) return badRequest(reply, 'number is required');
    if (!status) return badRequest(reply, `status must be one of ${NORMALIZED_STATUSES.join(', ')} or a 17TRACK status`);
    const estimateProblem = invalidEstimate(body);
    if (estimateProblem) return badRequest(reply, estimateProblem);
    return push(body, status);
  });

  app.post('/_sim/progress', async (request, reply) => {
    const body = (request.body ?? {}) as PushRequest;
    const number = normalize(body.number);
    if (!number) return badRequest(reply, 'number is required');
    const estimateProblem = invalidEstimate(body);
    if (estimateProblem) return badRequest(reply, estimateProblem);
    const step = nextStep(parcels.get(number)?.step ?? null);
    if (!step) return reply.code(409).send({ error: `${number} already reached the end of the progression` });
    return push({ number, estimatedDelivery: body.estimatedDelivery }, step);
  });

  app.get('/_sim/parcels/:number', async (request, reply) => {
    const parcel = parcels.get(normalize((request.params as { number: string }).number));
    return parcel ? { ...parcel, track_info: trackInfo(parcel) } : reply.code(404).send({ error: 'not registered' });
  });
}
