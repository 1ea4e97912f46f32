import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SimulatorContext } from '../server';

/** A push message as the simulator keeps it: the request's `message` plus the name FCM gave it. */
export interface FcmMessage {
  name: string;
  token: string;
  notification: { title?: string; body?: string } | null;
  data: Record<string, string>;
}

/** Google's error body; `errorCode` in an FcmError detail when FCM names one (UNREGISTERED, INVALID_ARGUMENT). */
function fcmError(reply: FastifyReply, code: number, status: string, message: string, errorCode?: string) {
  return reply.code(code).send({
    error: {
      code,
      message,
      status,
      ...(errorCode && { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] }),
    },
  });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * FCM HTTP v1, `POST /v1/projects/{project}/messages:send`: Bearer access token (else 401
 * UNAUTHENTICATED), another project 403 PERMISSION_DENIED, `{message: {token, notification,
 * data}}` validated (400 INVALID_ARGUMENT: no target, data values not strings), 200 with
 * `{name: "projects/{project}/messages/{id}"}`; `validate_only` checks without sending.
 * `reject` answers 404 UNREGISTERED (the device token is gone). `GET /fcm/_sim/messages` lists what was sent.
 */
export function registerFcm(app: FastifyInstance, context: SimulatorContext): void {
  const { control } = context;
  const { projectId, accessToken } = context.credentials.fcm;
  const messages: FcmMessage[] = [];

  // `::` is Fastify's escape for a literal colon (`messages:send`).
  app.post<{ Params: { project: string }; Body: unknown }>('/v1/projects/:project/messages::send', async (request, reply) => {
    if (request.headers.authorization !== `Bearer ${accessToken}`) {
      control.record(request, 'unauthorized');
      return fcmError(
        reply,
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    if (request.params.project !== projectId) {
      control.record(request, 'unauthorized');
      return fcmError(reply, 403, 'PERMISSION_DENIED', `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${request.params.project}'`);
    }
    const behaviour = control.next();
    if (await control.applyFailure(behaviour, request, reply)) return reply;
    const invalid = (message: string) => {
      control.record(request, 'invalid');
      return fcmError(reply, 400, 'INVALID_ARGUMENT', message, 'INVALID_ARGUMENT');
    };
    const body = request.body;
    if (!isObject(body) || !isObject(body.message)) return invalid('Invalid JSON payload received. Required field "message" is missing.');
    const { token, notification, data } = body.message;
    const targets = ['token', 'topic', 'condition'].filter((key) => (body.message as Record<string, unknown>)[key] !== undefined);
    if (targets.length !== 1) return invalid('Exactly one of token, topic or condition must be set.');
    if (typeof token !== 'string' || token.length === 0) return invalid('The registration token is not a valid FCM registration token');
    if (notification !== undefined && (!isObject(notification) || ['title', 'body'].some((k) => notification[k] !== undefined && typeof notification[k] !== 'string'))) {
      return invalid('Invalid value at \'message.notification\': title and body must be strings.');
    }
    if (data !== undefined && (!isObject(data) || Object.values(data).some((v) => typeof v !== 'string'))) {
      return invalid("Invalid value at 'message.data': every value must be a string.");
    }
    if (behaviour.mode === 'reject') {
      control.record(request, 'reject');
      return fcmError(reply, 404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED');
    }
    if (body.validate_only === true) {
      control.record(request, behaviour.mode);
      return { name: `projects/${projectId}/messages/fake_message_id` };
    }
    const name = `projects/${projectId}/messages/0:${Date.now()}${randomInt(100_000, 999_999)}%${randomInt(1e8, 1e9 - 1).toString(16)}`;
    messages.push({
      name,
      token,
      notification: (notification as FcmMessage['notification']) ?? null,
      data: (data as Record<string, string>) ?? {},
    });
    control.record(request, behaviour.mode);
    return { name };
  });

  app.get('/_sim/messages', async () => messages);
  app.delete('/_sim/messages', async () => {
    messages.length = 0;
    return { cleared: true };
  });
}
