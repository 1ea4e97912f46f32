import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SimulatorContext } from '../context';

/**
 * The device/asset system post-delivery automation steps call (docs/providers/devices.md):
 * our own system, so its API is ours. `Authorization: Bearer <api key>`;
 * `POST /automations {reference, scenario, orderId, shipmentId, trackingNumber, sku, quantity,
 * deliveredAt}` runs the scenario at once → 201 `{id, reference, scenario, status: "completed",
 * completedAt}`; the same `reference` again → 200 with the automation it already ran (nothing
 * runs twice); `GET /automations/:reference` → the automation or 404. Errors `{error: {code,
 * message}}`: 401 unauthorized, 404 not_found, 422 invalid_request, and 422 `scenario_refused`
 * under the `reject` switch (`options.reason` for its message).
 */

interface Automation {
  id: string;
  reference: string;
  scenario: string;
  request: Record<string, unknown>;
  status: 'completed';
  completedAt: string;
}

const SCENARIO = /^sensor_[a-z_]+$/;
const apiError = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message } });
const view = ({ id, reference, scenario, status, completedAt }: Automation) => ({ id, reference, scenario, status, completedAt });

export function registerDevices(app: FastifyInstance, context: SimulatorContext): void {
  const { control, credentials } = context;
  const { automations } = context.store.keep(() => ({ automations: new Map<string, Automation>() }));

  app.post('/automations', async (request, reply) => {
    if (request.headers.authorization !== `Bearer ${credentials.devices.apiKey}`) {
      control.record(request, 'unauthorized');
      return apiError(reply, 401, 'unauthorized', 'Missing or invalid API key');
    }
    const behaviour = control.next();
    if (await control.applyFailure(behaviour, request, reply)) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const reference = body.reference;
    if (typeof reference !== 'string' || !reference || typeof body.scenario !== 'string' || !SCENARIO.test(body.scenario) || typeof body.sku !== 'string') {
      control.record(request, 'invalid');
      return apiError(reply, 422, 'invalid_request', 'reference, scenario (sensor_…) and sku are required');
    }
    const known = automations.get(reference);
    if (known) {
      control.record(request, 'replayed');
      return reply.code(200).send(view(known));
    }
    if (behaviour.mode === 'reject') {
      control.record(request, 'reject');
      return apiError(reply, 422, 'scenario_refused', String(behaviour.options.reason ?? 'The device is not registered to an asset'));
    }
    const automation: Automation = {
      id: `auto_${randomBytes(10).toString('hex')}`,
      reference,
      scenario: body.scenario,
      request: body,
      status: 'completed',
      completedAt: new Date().toISOString(),
    };
    automations.set(reference, automation);
    control.record(request, behaviour.mode);
    return reply.code(201).send(view(automation));
  });

  app.get('/automations/:reference', async (request, reply) => {
    if (request.headers.authorization !== `Bearer ${credentials.devices.apiKey}`) {
      control.record(request, 'unauthorized');
      return apiError(reply, 401, 'unauthorized', 'Missing or invalid API key');
    }
    const automation = automations.get((request.params as { reference: string }).reference);
    return automation ? view(automation) : apiError(reply, 404, 'not_found', 'No automation with this reference');
  });
}
