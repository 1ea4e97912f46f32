import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SimulatorContext } from '../context';

/** A push message as the simulator keeps it: the request's `message` plus the name FCM gave it. */
export interface FcmMessage {
  name: string;
  token: string;
  notification: { title?: string; body?: string } | null;
  data: Record<string, string>;
  /**
   * The message's collapse identity on the device: `android.notification.tag`, else
   * `android.collapse_key`, else the APNs `apns-collapse-id` header, else the Web Push `Topic`
   * header; null when it has none (every message then shows on its own).
   */
  collapseKey: string | null;
  /**
   * The name of a later message to the same token with the same collapse identity: the device
   * shows that one instead of this one. Null while this is what the device shows.
   */
  replacedBy: string | null;
}

const stringOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The platform overrides that make a repeat replace the earlier notification, checked as FCM and the push services do. */
function collapseIdentity(message: Record<string, unknown>): { key: string | null } | { invalid: string } {
  const android = isObject(message.android) ? message.android : {};
  const androidNotification = isObject(android.notification) ? android.notification : {};
  const apnsHeaders = isObject(message.apns) && isObject(message.apns.headers) ? message.apns.headers : {};
  const webpushHeaders = isObject(message.webpush) && isObject(message.webpush.headers) ? message.webpush.headers : {};
  const apnsCollapseId = stringOf(apnsHeaders['apns-collapse-id']);
  if (apnsCollapseId !== undefined && Buffer.byteLength(apnsCollapseId) > 64) return { invalid: 'apns-collapse-id must not exceed 64 bytes.' };
  const topic = stringOf(webpushHeaders.Topic);
  if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)) return { invalid: 'Topic must be at most 32 characters of the URL-safe base64 alphabet.' };
  return { key: stringOf(androidNotification.tag) ?? stringOf(android.collapse_key) ?? apnsCollapseId ?? topic ?? null };
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
 * `reject` answers 404 UNREGISTERED (the device token is gone). `GET /fcm/_sim/messages` lists what was sent;
 * a message whose collapse identity (notification tag / collapse key / `apns-collapse-id` / Web Push
 * `Topic`) repeats an earlier one to the same token replaces it on the device (`replacedBy`), as the
 * phone would show it. FCM itself keeps no list and answers no query about sent messages.
 */
export function registerFcm(app: FastifyInstance, context: SimulatorContext): void {
  const { control } = context;
  const { projectId, accessToken } = context.credentials.fcm;
  const { messages } = context.store.keep(() => ({ messages: [] as FcmMessage[] }));

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
    const collapse = collapseIdentity(body.message);
    if ('invalid' in collapse) return invalid(collapse.invalid);
    if (behaviour.mode === 'reject') {
      control.record(request, 'reject');
      return fcmError(reply, 404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED');
    }
    if (body.validate_only === true) {
      control.record(request, behaviour.mode);
      return { name: `projects/${projectId}/messages/fake_message_id` };
    }
    const name = `projects/${projectId}/messages/0:${Date.now()}${randomInt(100_000, 999_999)}%${randomInt(1e8, 1e9 - 1).toString(16)}`;
    if (collapse.key !== null) {
      for (const earlier of messages) if (earlier.token === token && earlier.collapseKey === collapse.key && earlier.replacedBy === null) earlier.replacedBy = name;
    }
    messages.push({
      name,
      token,
      notification: (notification as FcmMessage['notification']) ?? null,
      data: (data as Record<string, string>) ?? {},
      collapseKey: collapse.key,
      replacedBy: null,
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
