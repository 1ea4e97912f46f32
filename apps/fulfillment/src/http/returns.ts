import { actorOf } from '@platform/runtime/actor';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { fulfillmentOrderParamsSchema } from '@platform/contracts/api/fulfillment';
import {
  createReturnRequestSchema,
  inspectReturnRequestSchema,
  orderReturnsResponseSchema,
  refuseReturnRequestSchema,
  returnParamsSchema,
  returnPolicyRequestSchema,
  returnPolicySchema,
  returnSchema,
  returnsQuerySchema,
  returnsResponseSchema,
} from '@platform/contracts/api/returns';
import type { Fulfillment } from '../application/context';
import { approveReturn, inspectReturn, listReturns, orderReturns, receiveReturn, refuseReturn, requestReturn, returnPolicy, setReturnPolicy } from '../application/returns';

/** Returns (RMA, docs/returns.md): the customer's request, ops' steps, the return policy. */
export function registerReturnRoutes(app: PlatformHttpServer, fulfillment: Fulfillment): void {
  app.post(
    '/orders/:orderId/returns',
    { schema: { params: fulfillmentOrderParamsSchema, body: createReturnRequestSchema, response: { 201: returnSchema } } },
    async (request, reply) => reply.code(201).send(await requestReturn(fulfillment, request.params.orderId, request.body, actorOf(request).name)),
  );

  app.get('/orders/:orderId/returns', { schema: { params: fulfillmentOrderParamsSchema, response: { 200: orderReturnsResponseSchema } } }, async (request) => ({
    orderId: request.params.orderId,
    returns: await orderReturns(fulfillment, request.params.orderId),
  }));

  app.get('/ops/returns', { schema: { querystring: returnsQuerySchema, response: { 200: returnsResponseSchema } } }, (request) => listReturns(fulfillment, request.query));

  app.post('/ops/returns/:returnId/approve', { schema: { params: returnParamsSchema, response: { 200: returnSchema } } }, (request) =>
    approveReturn(fulfillment, request.params.returnId, actorOf(request).name),
  );

  app.post('/ops/returns/:returnId/refuse', { schema: { params: returnParamsSchema, body: refuseReturnRequestSchema, response: { 200: returnSchema } } }, (request) =>
    refuseReturn(fulfillment, request.params.returnId, request.body.reason, actorOf(request).name),
  );

  app.post('/ops/returns/:returnId/receive', { schema: { params: returnParamsSchema, response: { 200: returnSchema } } }, (request) =>
    receiveReturn(fulfillment, request.params.returnId, actorOf(request).name),
  );

  app.post('/ops/returns/:returnId/inspect', { schema: { params: returnParamsSchema, body: inspectReturnRequestSchema, response: { 200: returnSchema } } }, (request) =>
    inspectReturn(fulfillment, request.params.returnId, request.body, actorOf(request).name),
  );

  app.get('/ops/policies/returns', { schema: { response: { 200: returnPolicySchema } } }, () => returnPolicy(fulfillment));

  app.put('/ops/policies/returns', { schema: { body: returnPolicyRequestSchema, response: { 200: returnPolicySchema } } }, (request) =>
    setReturnPolicy(fulfillment, request.body, actorOf(request).name),
  );
}
