import type { Clock } from '@platform/runtime/clock';
import { DomainError } from '@platform/runtime/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  customerDeviceParamsSchema,
  customerDevicesResponseSchema,
  customerIdParamsSchema,
  notificationPreferencesSchema,
  orderIdParamsSchema,
  orderNotificationsResponseSchema,
  registerDeviceRequestSchema,
  templateNameParamsSchema,
  templatePreviewRequestSchema,
  templatePreviewResponseSchema,
  updatePreferencesRequestSchema,
} from '@platform/contracts/api/notifications';
import type { Database } from '../adapters/database';
import type { TemplateRenderer } from '../adapters/template-renderer';
import { deregisterDevice, readPreferences, registerDevice, updatePreferences } from '../application/preferences';
import { previewTemplate } from '../application/preview';
import type { StoreIdentity } from '../domain/message-view';

export interface RouteDeps {
  db: Database;
  renderer: TemplateRenderer;
  store: StoreIdentity;
  clock: Clock;
}

/** A customer (as the gateway names the caller) may only see and change their own preferences. */
function assertMayAccess(request: { headers: Record<string, string | string[] | undefined> }, customerId: string): void {
  const role = request.headers['x-actor-role'];
  const actor = request.headers['x-actor'];
  if (role === 'customer' && actor !== `customer:${customerId}`) {
    throw new DomainError('forbidden', 'FORBIDDEN', "A customer can only access their own notification preferences");
  }
}

export function registerRoutes(app: PlatformHttpServer, deps: RouteDeps): void {
  app.get(
    '/orders/:orderId/notifications',
    { schema: { params: orderIdParamsSchema, response: { 200: orderNotificationsResponseSchema } } },
    async (request) => {
      const rows = await deps.db.notification.findMany({ where: { orderId: request.params.orderId }, orderBy: [{ createdAt: 'asc' }, { channel: 'asc' }] });
      const iso = (d: Date | null) => d?.toISOString() ?? null;
      return {
        orderId: request.params.orderId,
        notifications: rows.map((n) => ({
          id: n.id,
          orderId: n.orderId,
          orderStatus: n.orderStatus,
          channel: n.channel,
          template: n.template,
          recipient: n.recipient,
          locale: n.locale,
          status: n.status as 'pending',
          subject: n.subject,
          attempts: n.attempts,
          lastError: n.lastError,
          providerMessageId: n.providerMessageId,
          scheduledFor: iso(n.scheduledFor),
          createdAt: n.createdAt.toISOString(),
          updatedAt: n.updatedAt.toISOString(),
          sentAt: iso(n.sentAt),
          failedAt: iso(n.failedAt),
        })),
      };
    },
  );

  app.get(
    '/customers/:customerId/preferences',
    { schema: { params: customerIdParamsSchema, response: { 200: notificationPreferencesSchema } } },
    async (request) => {
      assertMayAccess(request, request.params.customerId);
      return readPreferences(deps.db, request.params.customerId);
    },
  );

  app.put(
    '/customers/:customerId/preferences',
    { schema: { params: customerIdParamsSchema, body: updatePreferencesRequestSchema, response: { 200: notificationPreferencesSchema } } },
    async (request) => {
      assertMayAccess(request, request.params.customerId);
      return updatePreferences(deps.db, request.params.customerId, request.body, deps.clock.now());
    },
  );

  app.put(
    '/customers/:customerId/devices',
    { schema: { params: customerIdParamsSchema, body: registerDeviceRequestSchema, response: { 200: customerDevicesResponseSchema } } },
    async (request) => {
      assertMayAccess(request, request.params.customerId);
      return registerDevice(deps.db, request.params.customerId, request.body);
    },
  );

  app.delete(
    '/customers/:customerId/devices/:token',
    { schema: { params: customerDeviceParamsSchema, response: { 200: customerDevicesResponseSchema } } },
    async (request) => {
      assertMayAccess(request, request.params.customerId);
      return deregisterDevice(deps.db, request.params.customerId, request.params.token);
    },
  );

  app.post(
    '/templates/:name/preview',
    { schema: { params: templateNameParamsSchema, body: templatePreviewRequestSchema, response: { 200: templatePreviewResponseSchema } } },
    async (request) => previewTemplate(deps.renderer, deps.store, request.params.name, request.body),
  );
}
