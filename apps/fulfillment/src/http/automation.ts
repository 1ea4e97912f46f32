import { actorOf } from '@platform/runtime/actor';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  automationConfigSchema,
  automationFallbackRequestSchema,
  automationRuleParamsSchema,
  automationRuleSchema,
  automationStepParamsSchema,
  automationStepSchema,
  automationStepsQuerySchema,
  automationStepsResponseSchema,
  putAutomationRuleRequestSchema,
  shipmentParamsSchema,
} from '@platform/contracts/api/fulfillment';
import {
  automationConfig,
  listAutomationSteps,
  retryAutomationStep,
  setAutomationRule,
  shipmentAutomationSteps,
  triggerAutomationFallback,
} from '../application/automation';
import type { Fulfillment } from '../application/context';

/** Post-delivery automation steps (FUL-06): what ops sees and does, and which SKUs start which scenarios. */
export function registerAutomationRoutes(app: PlatformHttpServer, fulfillment: Fulfillment): void {
  app.get(
    '/shipments/:id/automation-steps',
    { schema: { params: shipmentParamsSchema, response: { 200: automationStepsResponseSchema } } },
    async (request) => ({ steps: await shipmentAutomationSteps(fulfillment, request.params.id) }),
  );

  app.get('/automation-steps', { schema: { querystring: automationStepsQuerySchema, response: { 200: automationStepsResponseSchema } } }, async (request) => ({
    steps: await listAutomationSteps(fulfillment, request.query),
  }));

  app.post('/automation-steps/:id/retry', { schema: { params: automationStepParamsSchema, response: { 200: automationStepSchema } } }, (request) =>
    retryAutomationStep(fulfillment, request.params.id, actorOf(request).name),
  );

  app.post(
    '/automation-steps/:id/fallback',
    { schema: { params: automationStepParamsSchema, body: automationFallbackRequestSchema, response: { 200: automationStepSchema } } },
    (request) => triggerAutomationFallback(fulfillment, request.params.id, { note: request.body.note, actor: actorOf(request).name }),
  );

  app.get('/automation-rules', { schema: { response: { 200: automationConfigSchema } } }, () => automationConfig(fulfillment));

  app.put(
    '/automation-rules/:sku',
    {
      schema: {
        params: automationRuleParamsSchema,
        body: putAutomationRuleRequestSchema,
        response: { 200: automationRuleSchema },
      },
    },
    async (request) => {
      const rule = await setAutomationRule(fulfillment, request.params.sku, request.body.scenarios);
      request.log.info({ ...rule, actor: actorOf(request).name }, 'automation rule set');
      return rule;
    },
  );
}
