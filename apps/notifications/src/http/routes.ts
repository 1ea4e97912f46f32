import { actorOf } from '@platform/runtime/actor';
import type { Clock } from '@platform/runtime/clock';
import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  customerDeviceParamsSchema,
  customerDevicesResponseSchema,
  customerIdParamsSchema,
  feedQuerySchema,
  feedResponseSchema,
  markFeedReadRequestSchema,
  markFeedReadResponseSchema,
  notificationPreferencesSchema,
  orderIdParamsSchema,
  orderNotificationsResponseSchema,
  registerDeviceRequestSchema,
  templateNameParamsSchema,
  templatePreviewRequestSchema,
  templatePreviewResponseSchema,
  updatePreferencesRequestSchema,
} from '@platform/contracts/api/notifications';
import {
  campaignDryRunSchema,
  campaignIdParamsSchema,
  campaignSchema,
  createCampaignRequestSchema,
  notificationAnalyticsQuerySchema,
  notificationAnalyticsSchema,
  notificationHistoryQuerySchema,
  notificationHistorySchema,
  renderedTemplateSchema,
  saveTemplateRequestSchema,
  templateKeyParamsSchema,
  templatePreviewAdminRequestSchema,
  templateVersionsResponseSchema,
  templateViewSchema,
  testSendRequestSchema,
  testSendResponseSchema,
} from '@platform/contracts/api/notification-admin';
import type { TemplateRenderer } from '../adapters/template-renderer';
import type { NotificationDeps } from '../application/notifications';
import { type CampaignDeps, readCampaign, startCampaign } from '../application/campaigns';
import { markFeedRead, readFeed } from '../application/feed';
import { orderNotifications } from '../application/order-notifications';
import { deregisterDevice, readPreferences, registerDevice, updatePreferences } from '../application/preferences';
import type { OrderLinks } from '../application/order-links';
import { notificationAnalytics, notificationHistory } from '../application/history';
import { previewTemplate } from '../application/preview';
import { previewStoredTemplate, readTemplate, saveTemplate, templateVersions, testSend } from '../application/template-admin';
import type { StoreIdentity } from '../domain/message-view';

export interface RouteDeps {
  db: NotificationDeps['db'];
  renderer: TemplateRenderer;
  store: StoreIdentity;
  links: OrderLinks;
  clock: Clock;
  campaigns: CampaignDeps;
}

/** A customer (as the gateway names the caller) may only see and change their own preferences, devices and feed. */
function assertMayAccess(request: { headers: Record<string, string | string[] | undefined> }, customerId: string): void {
  const actor = actorOf(request);
  if (actor.role === 'customer' && actor.customerId !== customerId) {
    throw new DomainError('forbidden', 'FORBIDDEN', 'A customer can only access their own notification preferences, devices and feed');
  }
}

/** The template admin, history and analytics are for ops and admin keys (and internal callers); the gateway lets no other key reach them. */
function assertAdmin(request: { headers: Record<string, string | string[] | undefined> }): string {
  const actor = actorOf(request);
  if (actor.role === 'customer' || actor.role === 'vendor') throw new DomainError('forbidden', 'FORBIDDEN', 'Templates are managed by ops');
  return actor.name;
}

export function registerRoutes(app: PlatformHttpServer, deps: RouteDeps): void {
  app.get(
    '/orders/:orderId/notifications',
    { schema: { params: orderIdParamsSchema, response: { 200: orderNotificationsResponseSchema } } },
    async (request) => orderNotifications(deps.db, request.params.orderId),
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

  app.get(
    '/customers/:customerId/feed',
    { schema: { params: customerIdParamsSchema, querystring: feedQuerySchema, response: { 200: feedResponseSchema } } },
    async (request) => {
      assertMayAccess(request, request.params.customerId);
      return readFeed(deps.db, request.params.customerId, request.query);
    },
  );

  app.post(
    '/customers/:customerId/feed/read',
    { schema: { params: customerIdParamsSchema, body: markFeedReadRequestSchema, response: { 200: markFeedReadResponseSchema } } },
    async (request) => {
      assertMayAccess(request, request.params.customerId);
      return markFeedRead(deps.db, request.params.customerId, request.body, deps.clock.now());
    },
  );

  app.post(
    '/templates/:name/preview',
    { schema: { params: templateNameParamsSchema, body: templatePreviewRequestSchema, response: { 200: templatePreviewResponseSchema } } },
    async (request) => previewTemplate(deps, request.params.name, request.body, deps.clock.now()),
  );

  const templatePath = '/notification-templates/:name/:channel/:locale';
  app.get(templatePath, { schema: { params: templateKeyParamsSchema, response: { 200: templateViewSchema } } }, async (request) => {
    assertAdmin(request);
    return readTemplate(deps, request.params);
  });

  app.put(
    templatePath,
    { schema: { params: templateKeyParamsSchema, body: saveTemplateRequestSchema, response: { 200: templateViewSchema } } },
    async (request) => saveTemplate(deps, request.params, request.body.content, assertAdmin(request), deps.clock.now()),
  );

  app.get(`${templatePath}/versions`, { schema: { params: templateKeyParamsSchema, response: { 200: templateVersionsResponseSchema } } }, async (request) => {
    assertAdmin(request);
    return templateVersions(deps, request.params);
  });

  app.post(
    `${templatePath}/preview`,
    { schema: { params: templateKeyParamsSchema, body: templatePreviewAdminRequestSchema, response: { 200: renderedTemplateSchema } } },
    async (request) => {
      assertAdmin(request);
      return previewStoredTemplate(deps, request.params, request.body, deps.clock.now());
    },
  );

  app.post(
    `${templatePath}/test-send`,
    { schema: { params: templateKeyParamsSchema, body: testSendRequestSchema, response: { 202: testSendResponseSchema } } },
    async (request, reply) => {
      const actor = assertAdmin(request);
      const sent = await testSend(deps, request.params, request.body, deps.clock.now());
      // Kept out of history and analytics (a test), so the log is its audit trail, like a dead-letter retry's.
      request.log.info({ audit: 'template.test-sent', actor, ...request.params, notificationId: sent.notificationId }, 'template test send');
      return reply.code(202).send(sent);
    },
  );

  app.get('/notifications', { schema: { querystring: notificationHistoryQuerySchema, response: { 200: notificationHistorySchema } } }, async (request) => {
    assertAdmin(request);
    return notificationHistory(deps.db, request.query);
  });

  // Bulk sends: 201 for a new campaign, 200 for one run again (or a dry run).
  app.post(
    '/notification-campaigns',
    { schema: { body: createCampaignRequestSchema, response: { 200: campaignSchema.or(campaignDryRunSchema), 201: campaignSchema } } },
    async (request, reply) => {
      const started = await startCampaign(deps.campaigns, request.body, assertAdmin(request), deps.clock.now());
      if (started.dryRun) return reply.code(200).send({ dryRun: true, recipients: started.recipients });
      return reply.code(started.created ? 201 : 200).send(started.campaign);
    },
  );

  app.get('/notification-campaigns/:id', { schema: { params: campaignIdParamsSchema, response: { 200: campaignSchema } } }, async (request) => {
    assertAdmin(request);
    return readCampaign(deps.db, request.params.id);
  });

  app.get('/notification-analytics', { schema: { querystring: notificationAnalyticsQuerySchema, response: { 200: notificationAnalyticsSchema } } }, async (request) => {
    assertAdmin(request);
    return notificationAnalytics(deps.db, request.query);
  });
}
