import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SimulatorContext } from '../context';
import { s10TrackingNumber } from '../tracking-numbers';

/**
 * EasyPost's Shipment API as far as return labels need it (docs.easypost.com, Shipments;
 * docs/providers/easypost.md): HTTP Basic with the API key as user name;
 * `POST /v2/shipments {shipment: {from_address, to_address, parcel, is_return, reference,
 * carrier, service}}` with a `service` buys the label at once (EasyPost's one-call buy) → 201
 * the Shipment with `tracking_code`, `selected_rate` and `postage_label.label_url`;
 * `GET /v2/shipments/:id` → that Shipment. The tracking code is a UPU S10 number of the
 * sender's country (a return is sent from the customer's), so the tracking providers' simulators
 * scan it like any other parcel once tracking registers it. Errors `{error: {code, message}}`:
 * 401 APIKEY.INVALID, 404 SHIPMENT.NOT_FOUND, 422 SHIPMENT.INVALID_PARAMS, and 422
 * ADDRESS.VERIFY.FAILURE under the `reject` switch (`options.reason` for its message).
 */

interface Address {
  name?: string;
  street1?: string;
  city?: string;
  zip?: string;
  country?: string;
}

interface Shipment {
  id: string;
  object: 'Shipment';
  mode: 'test';
  reference: string | null;
  is_return: boolean;
  from_address: Address;
  to_address: Address;
  parcel: Record<string, unknown>;
  selected_rate: { id: string; object: 'Rate'; carrier: string; service: string; rate: string; currency: string };
  postage_label: { id: string; object: 'PostageLabel'; label_url: string; label_file_type: 'image/png'; label_date: string };
  tracking_code: string;
  status: 'unknown';
  created_at: string;
  updated_at: string;
}

const apiError = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message, errors: [] } });
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export function registerEasypost(app: FastifyInstance, context: SimulatorContext): void {
  const { control, credentials } = context;
  const { shipments } = context.store.keep(() => ({ shipments: new Map<string, Shipment>() }));
  const authorized = (header: string | undefined) => header === `Basic ${Buffer.from(`${credentials.easypost.apiKey}:`).toString('base64')}`;

  app.post('/v2/shipments', async (request, reply) => {
    if (!authorized(request.headers.authorization)) {
      control.record(request, 'unauthorized');
      return apiError(reply, 401, 'APIKEY.INVALID', 'The API key is missing or invalid');
    }
    const behaviour = control.next();
    if (await control.applyFailure(behaviour, request, reply)) return reply;
    const shipment = ((request.body ?? {}) as { shipment?: Record<string, unknown> }).shipment;
    const from = shipment?.from_address as Address | undefined;
    const to = shipment?.to_address as Address | undefined;
    if (!shipment || !from?.country || !to?.country || typeof shipment.service !== 'string') {
      control.record(request, 'invalid');
      return apiError(reply, 422, 'SHIPMENT.INVALID_PARAMS', 'from_address and to_address with their country, and a service to buy, are required');
    }
    if (behaviour.mode === 'reject') {
      control.record(request, 'reject');
      return apiError(reply, 422, 'ADDRESS.VERIFY.FAILURE', String(behaviour.options.reason ?? 'The address could not be verified'));
    }
    const now = new Date().toISOString();
    const id = `shp_${hex(16)}`;
    const created: Shipment = {
      id,
      object: 'Shipment',
      mode: 'test',
      reference: typeof shipment.reference === 'string' ? shipment.reference : null,
      is_return: shipment.is_return === true,
      from_address: from,
      to_address: to,
      parcel: (shipment.parcel as Record<string, unknown> | undefined) ?? {},
      selected_rate: { id: `rate_${hex(16)}`, object: 'Rate', carrier: typeof shipment.carrier === 'string' ? shipment.carrier : 'Correos', service: shipment.service, rate: '6.90', currency: 'EUR' },
      postage_label: { id: `pl_${hex(16)}`, object: 'PostageLabel', label_url: `https://easypost-files.example.com/files/postage_label/${id}.png`, label_file_type: 'image/png', label_date: now },
      tracking_code: s10TrackingNumber(randomInt(100_000_000), 'RR', from.country.toUpperCase()),
      status: 'unknown',
      created_at: now,
      updated_at: now,
    };
    shipments.set(id, created);
    control.record(request, behaviour.mode);
    return reply.code(201).send(created);
  });

  app.get('/v2/shipments/:id', async (request, reply) => {
    if (!authorized(request.headers.authorization)) {
      control.record(request, 'unauthorized');
      return apiError(reply, 401, 'APIKEY.INVALID', 'The API key is missing or invalid');
    }
    const shipment = shipments.get((request.params as { id: string }).id);
    return shipment ?? apiError(reply, 404, 'SHIPMENT.NOT_FOUND', 'The requested resource could not be found.');
  });

  /** What was bought, for tests: the labels in the order they were bought. */
  app.get('/_sim/shipments', async () => [...shipments.values()]);
}
