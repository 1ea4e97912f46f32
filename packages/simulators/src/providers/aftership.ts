import { createHmac, randomBytes, randomUUID } from 'node:crypto';
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

/**
 * AfterShip Tracking API 2025-01 (docs/providers/aftership.md): `POST /trackings`, `GET /trackings/:id`,
 * `GET /trackings?tracking_numbers=`, header `as-api-key`, answers `{meta{code, message, type}, data}`;
 * webhooks signed `aftership-hmac-sha256` = base64(HMAC-SHA256(webhook secret, raw body)).
 */

const TAGS: Record<NormalizedStatus, { tag: string; subtag: string; subtag_message: string }> = {
  pending: { tag: 'Pending', subtag: 'Pending_001', subtag_message: 'No information yet' },
  info_received: { tag: 'InfoReceived', subtag: 'InfoReceived_001', subtag_message: 'Info Received' },
  in_transit: { tag: 'InTransit', subtag: 'InTransit_007', subtag_message: 'Departure Scan' },
  out_for_delivery: { tag: 'OutForDelivery', subtag: 'OutForDelivery_001', subtag_message: 'Out for Delivery' },
  delivered: { tag: 'Delivered', subtag: 'Delivered_001', subtag_message: 'Delivered' },
  delivery_failed: { tag: 'AttemptFail', subtag: 'AttemptFail_001', subtag_message: 'Failed Attempt' },
  available_for_pickup: { tag: 'AvailableForPickup', subtag: 'AvailableForPickup_001', subtag_message: 'Available for pickup' },
  exception: { tag: 'Exception', subtag: 'Exception_001', subtag_message: 'Exception' },
  delayed: { tag: 'Exception', subtag: 'Exception_004', subtag_message: 'Delayed (Customs clearance)' },
  returned: { tag: 'Exception', subtag: 'Exception_011', subtag_message: 'Returned to sender' },
  expired: { tag: 'Expired', subtag: 'Expired_001', subtag_message: 'Expired' },
};
const NORMALIZED_BY_TAG: Record<string, NormalizedStatus> = {
  Pending: 'pending',
  InfoReceived: 'info_received',
  InTransit: 'in_transit',
  OutForDelivery: 'out_for_delivery',
  AttemptFail: 'delivery_failed',
  Delivered: 'delivered',
  AvailableForPickup: 'available_for_pickup',
  Exception: 'exception',
  Expired: 'expired',
};

interface Checkpoint {
  checkpoint_time: string;
  created_at: string;
  slug: string;
  message: string;
  tag: string;
  subtag: string;
  subtag_message: string;
  location: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country_iso3: string | null;
  coordinates: null;
  raw_tag: string;
}

interface Tracking {
  id: string;
  tracking_number: string;
  slug: string;
  order_id: string | null;
  title: string;
  created_at: string;
  /** The courier's estimated delivery, once a push named one (ISO). */
  eta?: string;
  /** The normalized status of the newest checkpoint (what `_sim/progress` continues from). */
  step: NormalizedStatus | null;
  tag: { tag: string; subtag: string; subtag_message: string };
  checkpoints: Checkpoint[];
}

function view(tracking: Tracking) {
  const eta = estimateOf(tracking, tracking.created_at);
  const updated = tracking.checkpoints.at(-1)?.created_at ?? tracking.created_at;
  return {
    id: tracking.id,
    tracking_number: tracking.tracking_number,
    slug: tracking.slug,
    active: !['Delivered', 'Expired'].includes(tracking.tag.tag),
    title: tracking.title,
    order_id: tracking.order_id,
    order_number: null,
    ...tracking.tag,
    checkpoints: tracking.checkpoints,
    courier_estimated_delivery_date: { estimated_delivery_date: eta, estimated_delivery_date_min: null, estimated_delivery_date_max: null },
    aftership_estimated_delivery_date: null,
    signed_by: tracking.tag.tag === 'Delivered' ? 'Recipient' : null,
    created_at: tracking.created_at,
    updated_at: updated,
  };
}

const meta = (code: number, message: string, type: string) => ({ code, message, type });

export function registerAftership(app: FastifyInstance, context: SimulatorContext): void {
  const { control, credentials, webhookBaseUrl } = context;
  const { trackings: byNumber } = context.store.keep(() => ({ trackings: new Map<string, Tracking>() }));
  // An index over the same objects: kept out of the state file, where it would come back as copies.
  const byId = new Map([...byNumber.values()].map((tracking) => [tracking.id, tracking]));

  function create(number: string, slug: string | null, orderId: string | null): Tracking {
    const tracking: Tracking = {
      id: randomBytes(16).toString('hex'),
      tracking_number: number,
      slug: slug ?? 'china-post',
      order_id: orderId,
      title: number,
      created_at: new Date().toISOString(),
      step: null,
      tag: TAGS.pending,
      checkpoints: [],
    };
    byNumber.set(number, tracking);
    byId.set(tracking.id, tracking);
    return tracking;
  }

  /** Auth and the switch every API call shares: true when the call may proceed (mode ok/slow/reject). */
  async function guard(request: FastifyRequest, reply: FastifyReply): Promise<'ok' | 'reject' | undefined> {
    if (request.headers['as-api-key'] !== credentials.aftership.apiKey) {
      control.record(request, 'unauthorized');
      await reply.code(401).send({ meta: meta(401, 'Invalid API key.', 'Unauthorized'), data: {} });
      return undefined;
    }
    const behaviour = control.next();
    if (await control.applyFailure(behaviour, request, reply)) return undefined;
    control.record(request, behaviour.mode);
    return behaviour.mode === 'reject' ? 'reject' : 'ok';
  }

  app.post('/trackings', async (request, reply) => {
    const mode = await guard(request, reply);
    if (!mode) return reply;
    const body = (request.body ?? {}) as { tracking_number?: unknown; slug?: unknown; order_id?: unknown };
    const number = normalize(body.tracking_number);
    if (!/^[A-Z0-9]{5,50}$/.test(number)) return reply.code(400).send({ meta: meta(4005, 'The value of `tracking_number` is invalid.', 'BadRequest'), data: {} });
    if (mode === 'reject') return reply.code(422).send({ meta: meta(4012, 'Cannot detect courier. Activate courier at https://admin.aftership.com/settings/couriers.', 'Unprocessable'), data: {} });
    const existing = byNumber.get(number);
    if (existing) return reply.code(400).send({ meta: meta(4003, 'Tracking already exists.', 'BadRequest'), data: { tracking: { id: existing.id, slug: existing.slug, tracking_number: number } } });
    const tracking = create(number, typeof body.slug === 'string' ? body.slug : null, typeof body.order_id === 'string' ? body.order_id : null);
    return reply.code(201).send({ meta: meta(201, 'Created', 'Created'), data: view(tracking) });
  });

  app.get('/trackings', async (request, reply) => {
    if (!(await guard(request, reply))) return reply;
    const { tracking_numbers: numbers } = (request.query ?? {}) as { tracking_numbers?: string };
    const wanted = numbers ? new Set(numbers.split(',').map(normalize)) : null;
    const trackings = [...byNumber.values()].filter((t) => !wanted || wanted.has(t.tracking_number)).map(view);
    return { meta: meta(200, 'OK', 'OK'), data: { pagination: { total: trackings.length, next_cursor: null, has_next_page: false }, trackings } };
  });

  app.get('/trackings/:id', async (request, reply) => {
    if (!(await guard(request, reply))) return reply;
    const tracking = byId.get((request.params as { id: string }).id);
    if (!tracking) return reply.code(404).send({ meta: meta(4004, 'Tracking does not exist.', 'NotFound'), data: {} });
    return { meta: meta(200, 'OK', 'OK'), data: view(tracking) };
  });

  /** The normalized status a push names: a normalized status, an AfterShip tag or a subtag (`Exception_004`). */
  function statusOf(value: unknown): { status: NormalizedStatus; tag: Tracking['tag'] } | undefined {
    if (typeof value !== 'string') return undefined;
    if (NORMALIZED_STATUSES.includes(value as NormalizedStatus)) return { status: value as NormalizedStatus, tag: TAGS[value as NormalizedStatus] };
    const tag = value.split('_')[0]!;
    const status = NORMALIZED_BY_TAG[tag];
    if (!status) return undefined;
    const known = Object.entries(TAGS).find(([, t]) => t.subtag === value);
    if (known) return { status: known[0] as NormalizedStatus, tag: known[1] };
    return { status, tag: value.includes('_') ? { tag, subtag: value, subtag_message: tag } : TAGS[status] };
  }

  async function push(body: PushRequest, status: NormalizedStatus, tag: Tracking['tag']) {
    const number = normalize(body.number);
    const tracking = byNumber.get(number) ?? create(number, null, null);
    takeEstimate(tracking, body);
    const time = typeof body.time === 'string' ? new Date(body.time) : new Date();
    const text = STEP_TEXT[status];
    const location = typeof body.location === 'string' ? body.location : text.location || null;
    const checkpoint: Checkpoint = {
      checkpoint_time: time.toISOString(),
      created_at: new Date().toISOString(),
      slug: tracking.slug,
      message: typeof body.description === 'string' ? body.description : text.description,
      ...tag,
      location,
      city: location?.split(', ')[0] ?? null,
      state: null,
      postal_code: null,
      country_iso3: null,
      coordinates: null,
      raw_tag: tag.subtag,
    };
    tracking.checkpoints.push(checkpoint);
    tracking.checkpoints.sort((a, b) => a.checkpoint_time.localeCompare(b.checkpoint_time));
    // The newest checkpoint decides the tracking's tag, as at the real provider.
    if (tracking.checkpoints.at(-1) === checkpoint) {
      tracking.tag = tag;
      tracking.step = status;
    }
    const payload = JSON.stringify({
      event: 'tracking_update',
      event_id: randomUUID(),
      is_tracking_first_tag: tracking.checkpoints.filter((c) => c.tag === tag.tag).length === 1,
      msg: view(tracking),
      ts: Math.floor(Date.now() / 1000),
    });
    const signature = createHmac('sha256', credentials.aftership.webhookSecret).update(payload).digest('base64');
    const webhook = await deliverWebhook(`${webhookBaseUrl}/v1/webhooks/aftership`, payload, { 'aftership-hmac-sha256': signature, 'as-webhook-version': '2025-01' });
    return { number, status, providerStatus: tag, checkpoint, webhook };
  }

  app.post('/_sim/push', async (request, reply) => {
    const body = (request.body ?? {}) as PushRequest;
    const resolved = statusOf(body.status);
    if (!normalize(body.number)) return badRequest(reply, 'number is required');
    if (!resolved) return badRequest(reply, `status must be one of ${NORMALIZED_STATUSES.join(', ')} or an AfterShip tag/subtag`);
    const estimateProblem = invalidEstimate(body);
    if (estimateProblem) return badRequest(reply, estimateProblem);
    return push(body, resolved.status, resolved.tag);
  });

  app.post('/_sim/progress', async (request, reply) => {
    const body = (request.body ?? {}) as PushRequest;
    const number = normalize(body.number);
    if (!number) return badRequest(reply, 'number is required');
    const estimateProblem = invalidEstimate(body);
    if (estimateProblem) return badRequest(reply, estimateProblem);
    const step = nextStep(byNumber.get(number)?.step ?? null);
    if (!step) return reply.code(409).send({ error: `${number} already reached the end of the progression` });
    return push({ number, estimatedDelivery: body.estimatedDelivery }, step, TAGS[step]);
  });

  app.get('/_sim/trackings/:number', async (request, reply) => {
    const tracking = byNumber.get(normalize((request.params as { number: string }).number));
    return tracking ? { ...view(tracking), step: tracking.step } : reply.code(404).send({ error: 'not registered' });
  });
}
