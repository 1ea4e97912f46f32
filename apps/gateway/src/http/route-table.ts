import {
  invoiceIdParamsSchema,
  invoiceListQuerySchema,
  invoiceListSchema,
  invoiceSchema,
  ledgerQuerySchema,
  opsRefundRequestSchema,
  orderAllocationSchema,
  orderBillingSchema,
  ownLedgerQuerySchema,
  ownVendorQuerySchema,
  payoutAccountRequestSchema,
  payoutAccountSchema,
  payoutRunSchema,
  refundIdParamsSchema,
  refundSchema,
  vendorIdParamsSchema,
  vendorLedgerSchema,
  vendorPayoutsSchema,
} from '@platform/contracts/api/billing';
import {
  automationConfigSchema,
  automationFallbackRequestSchema,
  automationRuleParamsSchema,
  automationRuleSchema,
  automationStepParamsSchema,
  automationStepSchema,
  automationStepsQuerySchema,
  automationStepsResponseSchema,
  createDraftShipmentRequestSchema,
  createHubRequestSchema,
  createHubShipmentRequestSchema,
  fulfillmentOrderIdParamsSchema,
  fulfillmentOrderViewSchema,
  hubParamsSchema,
  hubSchema,
  hubShipmentResponseSchema,
  hubsResponseSchema,
  hubStockParamsSchema,
  hubStockResponseSchema,
  opsTaskParamsSchema,
  opsTaskSchema,
  opsTasksQuerySchema,
  opsTasksResponseSchema,
  orderFulfillmentSchema,
  putAutomationRuleRequestSchema,
  resolveOpsTaskRequestSchema,
  setHubStockRequestSchema,
  setStockPolicyRequestSchema,
  shipmentParamsSchema,
  shipmentSchema,
  shipmentStatusRequestSchema,
  skuParamsSchema,
  skuSourcesRequestSchema,
  skuSourcesSchema,
  stockPoliciesResponseSchema,
  stockPolicyParamsSchema,
  stockPolicySchema,
  supplierCallsResponseSchema,
  supplierFailurePolicyRequestSchema,
  supplierFailurePolicySchema,
  timersQuerySchema,
  timersResponseSchema,
  updateDraftShipmentRequestSchema,
  updateHubRequestSchema,
  workflowCommandResponseSchema,
} from '@platform/contracts/api/fulfillment';
import {
  customerDeviceParamsSchema,
  customerDevicesResponseSchema,
  customerIdParamsSchema,
  feedQuerySchema,
  feedResponseSchema,
  markFeedReadRequestSchema,
  markFeedReadResponseSchema,
  notificationPreferencesSchema,
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
import {
  delayedOrdersPageSchema,
  delayedOrdersQuerySchema,
  cancelOrderRequestSchema,
  createOrderRequestSchema,
  idempotencyKeySchema,
  ifMatchSchema,
  listOrdersQuerySchema,
  listSubOrdersQuerySchema,
  manualStatusChangeRequestSchema,
  modifyOrderRequestSchema,
  orderIdParamsSchema,
  orderOverviewSchema,
  orderPageSchema,
  orderSchema,
  orderSubOrdersSchema,
  priceBookQuerySchema,
  priceBookSchema,
  putPriceBookEntriesRequestSchema,
  quoteRequestSchema,
  quoteSchema,
  subOrderDetailSchema,
  subOrderNumberParamsSchema,
  subOrderPageSchema,
} from '@platform/contracts/api/orders';
import {
  carrierDetectionSchema,
  carrierListSchema,
  detectCarrierQuerySchema,
  orderTrackingSchema,
  providerListSchema,
  publicTrackingSchema,
  trackingNumberParamsSchema,
} from '@platform/contracts/api/tracking';
import { z } from 'zod';
import type { Access } from '../domain/api-keys';

export type ServiceName = 'orders' | 'billing' | 'fulfillment' | 'tracking' | 'notifications';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * What a customer or vendor key may reach on a route (ops and admin keys reach everything):
 * - `order`: `:id` is an order id; the order must be the customer's (else 404, so nothing leaks).
 * - `invoice`: `:id` is an invoice id; its order must be the customer's (else 404).
 * - `customer`: `:customerId` must be the key's customer (else 403).
 * - `own-orders`: the list is narrowed to the key's customer.
 * - `new-order`: the body's `customer.id` must be the key's customer (else 403).
 * - `own-quote`: the body's `customerId` (whose price agreements apply) is the key's customer.
 * - `sub-order`: `:number` is a sub-order; it must be the vendor key's own, or part of the
 *   customer key's order (else 404).
 * - `own-vendor`: the list is narrowed to the vendor key's vendor (`?vendorId=`).
 * A scope that does not name the key's party refuses it (403): a vendor key on a customer scope.
 */
export type PartyScope = 'order' | 'invoice' | 'customer' | 'own-orders' | 'new-order' | 'own-quote' | 'sub-order' | 'own-vendor';

export type OpenApiTag = 'Orders' | 'Pricing' | 'Billing' | 'Fulfillment' | 'Tracking' | 'Notifications' | 'Webhooks' | 'Checkout' | 'Operations';

export interface RouteSchemas {
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  headers?: z.ZodType;
  /** Success answers, by status (documentation: service answers pass through unchanged). */
  response?: Record<number, z.ZodType>;
}

/** One `/v1` route that is a plain forward to one service. */
export interface ForwardRoute {
  method: HttpMethod;
  /** The public path, Fastify syntax (`/v1/orders/:id/timeline`). */
  path: string;
  service: ServiceName;
  /** The service's path; `:name` segments take the public path's parameters. */
  target: string;
  access: Access;
  scope?: PartyScope;
  /** Request headers the service needs besides identity and tracing. */
  passHeaders?: readonly string[];
  tag: OpenApiTag;
  summary: string;
  schemas: RouteSchemas;
}

const ordersRoutes: ForwardRoute[] = [
  {
    method: 'POST', path: '/v1/orders', service: 'orders', target: '/orders', access: 'customer', scope: 'new-order',
    passHeaders: ['idempotency-key'], tag: 'Orders', summary: 'Place an order',
    schemas: {
      headers: z.looseObject({ 'idempotency-key': idempotencyKeySchema.optional() }),
      body: createOrderRequestSchema,
      response: { 201: orderSchema },
    },
  },
  {
    method: 'GET', path: '/v1/orders', service: 'orders', target: '/orders', access: 'customer', scope: 'own-orders',
    tag: 'Orders', summary: "List orders (a customer key lists its own customer's)",
    schemas: { querystring: listOrdersQuerySchema, response: { 200: orderPageSchema } },
  },
  {
    method: 'GET', path: '/v1/orders/overview', service: 'orders', target: '/orders/overview', access: 'ops',
    tag: 'Orders', summary: 'Count of orders per status',
    schemas: { response: { 200: orderOverviewSchema } },
  },
  {
    method: 'POST', path: '/v1/orders/:id/cancel', service: 'orders', target: '/orders/:id/cancel', access: 'customer', scope: 'order',
    tag: 'Orders', summary: 'Cancel an order (refused once shipped)',
    schemas: { params: orderIdParamsSchema, body: cancelOrderRequestSchema, response: { 200: orderSchema } },
  },
  {
    method: 'PATCH', path: '/v1/orders/:id', service: 'orders', target: '/orders/:id', access: 'customer', scope: 'order',
    passHeaders: ['if-match'], tag: 'Orders', summary: 'Modify items, address or notes before fulfillment starts (If-Match required)',
    schemas: {
      params: orderIdParamsSchema,
      // Optional here so the orders service answers a missing one with 428 Precondition Required.
      headers: z.looseObject({ 'if-match': ifMatchSchema.optional() }),
      body: modifyOrderRequestSchema,
      response: { 200: orderSchema },
    },
  },
  {
    method: 'GET', path: '/v1/ops/orders/delayed', service: 'orders', target: '/ops/orders/delayed', access: 'ops',
    tag: 'Orders', summary: 'Orders running late (carrier estimate past the promise, no scan, carrier delay), still on their way; longest late first',
    schemas: { querystring: delayedOrdersQuerySchema, response: { 200: delayedOrdersPageSchema } },
  },
  {
    method: 'POST', path: '/v1/orders/:id/status', service: 'orders', target: '/orders/:id/status', access: 'ops',
    tag: 'Orders', summary: 'Manual status change with a reason',
    schemas: { params: orderIdParamsSchema, body: manualStatusChangeRequestSchema, response: { 200: orderSchema } },
  },
  {
    method: 'GET', path: '/v1/orders/:id/sub-orders', service: 'orders', target: '/orders/:id/sub-orders', access: 'customer', scope: 'order',
    tag: 'Orders', summary: "An order's parts, one per vendor (ORD-05), with their statuses and parcels",
    schemas: { params: orderIdParamsSchema, response: { 200: orderSubOrdersSchema } },
  },
  {
    method: 'GET', path: '/v1/sub-orders/:number', service: 'orders', target: '/sub-orders/:number', access: 'customer-or-vendor', scope: 'sub-order',
    tag: 'Orders', summary: "A sub-order with its history: its vendor's, its customer's (another's answers 404)",
    schemas: { params: subOrderNumberParamsSchema, response: { 200: subOrderDetailSchema } },
  },
  {
    method: 'GET', path: '/v1/vendor/sub-orders', service: 'orders', target: '/sub-orders', access: 'vendor', scope: 'own-vendor',
    tag: 'Orders', summary: "A vendor's sub-orders, newest first (a vendor key lists its own; ops name `vendorId`)",
    schemas: { querystring: listSubOrdersQuerySchema, response: { 200: subOrderPageSchema } },
  },
  {
    method: 'POST', path: '/v1/quotes', service: 'orders', target: '/quotes', access: 'customer', scope: 'own-quote',
    tag: 'Pricing', summary: 'Price a list of items without ordering',
    schemas: { body: quoteRequestSchema, response: { 200: quoteSchema } },
  },
  {
    // Ops only: the book holds every customer's price agreements.
    method: 'GET', path: '/v1/price-book', service: 'orders', target: '/price-book', access: 'ops',
    tag: 'Pricing', summary: 'Price book entries',
    schemas: { querystring: priceBookQuerySchema, response: { 200: priceBookSchema } },
  },
  {
    method: 'PUT', path: '/v1/price-book/entries', service: 'orders', target: '/price-book/entries', access: 'admin',
    tag: 'Pricing', summary: 'Create or replace price book entries',
    schemas: { body: putPriceBookEntriesRequestSchema, response: { 200: priceBookSchema } },
  },
];

const billingRoutes: ForwardRoute[] = [
  {
    method: 'GET', path: '/v1/orders/:id/billing', service: 'billing', target: '/orders/:id/billing', access: 'customer', scope: 'order',
    tag: 'Billing', summary: "An order's payments, invoices and refunds",
    schemas: { params: orderIdParamsSchema, response: { 200: orderBillingSchema } },
  },
  {
    method: 'POST', path: '/v1/orders/:id/refunds', service: 'billing', target: '/orders/:id/refunds', access: 'ops',
    passHeaders: ['idempotency-key'], tag: 'Billing', summary: 'Refund an amount (full or partial, up to what is refundable), recorded with the acting key; a credit note on success',
    schemas: {
      params: orderIdParamsSchema,
      headers: z.looseObject({ 'idempotency-key': idempotencyKeySchema.optional() }),
      body: opsRefundRequestSchema,
      response: { 200: refundSchema, 201: refundSchema },
    },
  },
  {
    method: 'POST', path: '/v1/refunds/:refundId/made-on-channel', service: 'billing', target: '/refunds/:refundId/made-on-channel', access: 'ops',
    tag: 'Billing', summary: 'Record that ops refunded the buyer on the sales channel (a refund waiting with refund_on_channel_required): it is confirmed as any refund',
    schemas: { params: refundIdParamsSchema, response: { 200: refundSchema } },
  },
  {
    method: 'GET', path: '/v1/invoices/:id', service: 'billing', target: '/invoices/:id', access: 'customer', scope: 'invoice',
    tag: 'Billing', summary: 'An invoice',
    schemas: { params: invoiceIdParamsSchema, response: { 200: invoiceSchema } },
  },
  {
    method: 'GET', path: '/v1/invoices', service: 'billing', target: '/invoices', access: 'ops',
    tag: 'Billing', summary: 'Invoices by order or status',
    schemas: { querystring: invoiceListQuerySchema, response: { 200: invoiceListSchema } },
  },
  {
    method: 'GET', path: '/v1/orders/:id/allocation', service: 'billing', target: '/orders/:id/allocation', access: 'ops',
    tag: 'Billing', summary: "An order's money per vendor (allocations, fees, reversals) and the check that paid = earnings + fees",
    schemas: { params: orderIdParamsSchema, response: { 200: orderAllocationSchema } },
  },
  {
    method: 'GET', path: '/v1/vendors/:vendorId/ledger', service: 'billing', target: '/vendors/:vendorId/ledger', access: 'ops',
    tag: 'Billing', summary: "A vendor's payout ledger (earnings, fees, refunds, reversals, payouts) and balance",
    schemas: { params: vendorIdParamsSchema, querystring: ledgerQuerySchema, response: { 200: vendorLedgerSchema } },
  },
  {
    method: 'GET', path: '/v1/vendors/:vendorId/payouts', service: 'billing', target: '/vendors/:vendorId/payouts', access: 'ops',
    tag: 'Billing', summary: "A vendor's payout statements and connected account",
    schemas: { params: vendorIdParamsSchema, response: { 200: vendorPayoutsSchema } },
  },
  {
    method: 'GET', path: '/v1/vendor/ledger', service: 'billing', target: '/vendor/ledger', access: 'vendor', scope: 'own-vendor',
    tag: 'Billing', summary: "A vendor's own payout ledger and balance (a vendor key sees its own; ops name `vendorId`)",
    schemas: { querystring: ownLedgerQuerySchema.partial({ vendorId: true }), response: { 200: vendorLedgerSchema } },
  },
  {
    method: 'GET', path: '/v1/vendor/payouts', service: 'billing', target: '/vendor/payouts', access: 'vendor', scope: 'own-vendor',
    tag: 'Billing', summary: "A vendor's own payout statements (a vendor key sees its own; ops name `vendorId`)",
    schemas: { querystring: ownVendorQuerySchema.partial(), response: { 200: vendorPayoutsSchema } },
  },
  {
    method: 'PUT', path: '/v1/vendors/:vendorId/payout-account', service: 'billing', target: '/vendors/:vendorId/payout-account', access: 'admin',
    tag: 'Billing', summary: "Set the Stripe connected account a vendor's payouts go to",
    schemas: { params: vendorIdParamsSchema, body: payoutAccountRequestSchema, response: { 200: payoutAccountSchema } },
  },
  {
    method: 'POST', path: '/v1/payouts/run', service: 'billing', target: '/payouts/run', access: 'ops',
    tag: 'Billing', summary: 'Draw up payout statements and transfer balances now (besides the periodic run)',
    schemas: { response: { 200: payoutRunSchema } },
  },
];

const fulfillmentRoutes: ForwardRoute[] = [
  {
    method: 'GET', path: '/v1/orders/:id/fulfillment', service: 'fulfillment', target: '/orders/:id', access: 'customer', scope: 'order',
    tag: 'Fulfillment', summary: 'Workflow state, history, supplier orders, shipments and reservations',
    schemas: { params: orderIdParamsSchema, response: { 200: orderFulfillmentSchema } },
  },
  {
    method: 'POST', path: '/v1/orders/:id/fulfillment/process', service: 'fulfillment', target: '/orders/:id/process', access: 'ops',
    tag: 'Fulfillment', summary: 'Start processing now instead of after the payment delay',
    schemas: { params: orderIdParamsSchema, response: { 200: workflowCommandResponseSchema } },
  },
  {
    method: 'POST', path: '/v1/orders/:id/fulfillment/retry', service: 'fulfillment', target: '/orders/:id/retry', access: 'ops',
    tag: 'Fulfillment', summary: 'Retry a failed fulfillment',
    schemas: { params: orderIdParamsSchema, response: { 200: workflowCommandResponseSchema } },
  },
  {
    method: 'POST', path: '/v1/orders/:id/shipments', service: 'fulfillment', target: '/orders/:id/shipments', access: 'ops',
    tag: 'Fulfillment', summary: 'Record an own-stock hub shipment (tracking number, carrier)',
    schemas: { params: orderIdParamsSchema, body: createHubShipmentRequestSchema, response: { 201: hubShipmentResponseSchema } },
  },
  {
    method: 'GET', path: '/v1/fulfillment-orders/:id', service: 'fulfillment', target: '/fulfillment-orders/:id', access: 'ops',
    tag: 'Fulfillment', summary: "A hub fulfillment order: its items with the quantity left to allocate, and its parcels",
    schemas: { params: fulfillmentOrderIdParamsSchema, response: { 200: fulfillmentOrderViewSchema } },
  },
  {
    method: 'POST', path: '/v1/fulfillment-orders/:id/shipments', service: 'fulfillment', target: '/fulfillment-orders/:id/shipments', access: 'ops',
    tag: 'Fulfillment', summary: 'Prepare a hub parcel (draft): allocates its units (default: all that remain)',
    schemas: { params: fulfillmentOrderIdParamsSchema, body: createDraftShipmentRequestSchema, response: { 201: shipmentSchema } },
  },
  {
    method: 'PATCH', path: '/v1/shipments/:id', service: 'fulfillment', target: '/shipments/:id', access: 'ops',
    tag: 'Fulfillment', summary: "Edit a draft hub parcel: its units (allocated again) or carrier",
    schemas: { params: shipmentParamsSchema, body: updateDraftShipmentRequestSchema, response: { 200: shipmentSchema } },
  },
  {
    method: 'POST', path: '/v1/shipments/:id/status', service: 'fulfillment', target: '/shipments/:id/status', access: 'ops',
    tag: 'Fulfillment', summary: 'Move a hub parcel on: ready (label bought, tracking number), in_transit (handed to the carrier), or cancelled before it leaves',
    schemas: { params: shipmentParamsSchema, body: shipmentStatusRequestSchema, response: { 200: shipmentSchema } },
  },
  {
    method: 'GET', path: '/v1/orders/:id/supplier-calls', service: 'fulfillment', target: '/orders/:id/supplier-calls', access: 'ops',
    tag: 'Fulfillment', summary: 'Every supplier call made for an order',
    schemas: { params: orderIdParamsSchema, response: { 200: supplierCallsResponseSchema } },
  },
  {
    method: 'GET', path: '/v1/hubs', service: 'fulfillment', target: '/hubs', access: 'ops',
    tag: 'Fulfillment', summary: 'Hubs with stock',
    schemas: { response: { 200: hubsResponseSchema } },
  },
  {
    method: 'POST', path: '/v1/hubs', service: 'fulfillment', target: '/hubs', access: 'admin',
    tag: 'Fulfillment', summary: 'Create a hub (location, zone, costs, priority)',
    schemas: { body: createHubRequestSchema, response: { 201: hubSchema } },
  },
  {
    method: 'PATCH', path: '/v1/hubs/:id', service: 'fulfillment', target: '/hubs/:id', access: 'admin',
    tag: 'Fulfillment', summary: 'Change a hub (costs, priority, active, ...)',
    schemas: { params: hubParamsSchema, body: updateHubRequestSchema, response: { 200: hubSchema } },
  },
  {
    method: 'PUT', path: '/v1/hubs/:id/stock/:sku', service: 'fulfillment', target: '/hubs/:id/stock/:sku', access: 'admin',
    tag: 'Fulfillment', summary: "Set a hub's stock of a SKU and its next restock (backorders are served from it)",
    schemas: { params: hubStockParamsSchema, body: setHubStockRequestSchema, response: { 200: hubStockResponseSchema } },
  },
  {
    method: 'GET', path: '/v1/inventory/policies', service: 'fulfillment', target: '/inventory/policies', access: 'ops',
    tag: 'Fulfillment', summary: 'Short-stock policies per SKU',
    schemas: { response: { 200: stockPoliciesResponseSchema } },
  },
  {
    method: 'PUT', path: '/v1/inventory/policies/:sku', service: 'fulfillment', target: '/inventory/policies/:sku', access: 'ops',
    tag: 'Fulfillment', summary: "Set what a SKU's shortage does: substitute (with the equivalent SKU), partial or backorder",
    schemas: { params: stockPolicyParamsSchema, body: setStockPolicyRequestSchema, response: { 200: stockPolicySchema } },
  },
  {
    method: 'GET', path: '/v1/ops/tasks', service: 'fulfillment', target: '/ops/tasks', access: 'ops',
    tag: 'Fulfillment', summary: 'Tasks for operations (supplier orders to cancel by hand, supplier orders overdue for shipping, automation steps that failed), open by default',
    schemas: { querystring: opsTasksQuerySchema, response: { 200: opsTasksResponseSchema } },
  },
  {
    method: 'POST', path: '/v1/ops/tasks/:taskId/resolve', service: 'fulfillment', target: '/ops/tasks/:taskId/resolve', access: 'ops',
    tag: 'Fulfillment', summary: 'Close a supplier order\'s task: what happened at the supplier to a cancel it could not carry out (cancelled there, or shipped anyway), or an overdue supplier order handled by ops',
    schemas: { params: opsTaskParamsSchema, body: resolveOpsTaskRequestSchema, response: { 200: opsTaskSchema } },
  },
  {
    method: 'GET', path: '/v1/shipments/:id/automation-steps', service: 'fulfillment', target: '/shipments/:id/automation-steps', access: 'ops',
    tag: 'Fulfillment', summary: "A shipment's post-delivery automation steps",
    schemas: { params: shipmentParamsSchema, response: { 200: automationStepsResponseSchema } },
  },
  {
    method: 'GET', path: '/v1/automation-steps', service: 'fulfillment', target: '/automation-steps', access: 'ops',
    tag: 'Fulfillment', summary: 'Automation steps, oldest first, optionally by status (e.g. failed)',
    schemas: { querystring: automationStepsQuerySchema, response: { 200: automationStepsResponseSchema } },
  },
  {
    method: 'POST', path: '/v1/automation-steps/:id/retry', service: 'fulfillment', target: '/automation-steps/:id/retry', access: 'ops',
    tag: 'Fulfillment', summary: 'One more attempt now for a failed automation step (a step already waiting or running is answered as it is)',
    schemas: { params: automationStepParamsSchema, response: { 200: automationStepSchema } },
  },
  {
    method: 'POST', path: '/v1/automation-steps/:id/fallback', service: 'fulfillment', target: '/automation-steps/:id/fallback', access: 'ops',
    tag: 'Fulfillment', summary: "Handle an automation step by hand (the scenario's fallback): it ends fallback_triggered with the note, its task closes",
    schemas: { params: automationStepParamsSchema, body: automationFallbackRequestSchema, response: { 200: automationStepSchema } },
  },
  {
    method: 'GET', path: '/v1/automation-rules', service: 'fulfillment', target: '/automation-rules', access: 'ops',
    tag: 'Fulfillment', summary: "Automation scenarios' retry policies and which SKUs start which scenarios",
    schemas: { response: { 200: automationConfigSchema } },
  },
  {
    method: 'PUT', path: '/v1/automation-rules/:sku', service: 'fulfillment', target: '/automation-rules/:sku', access: 'admin',
    tag: 'Fulfillment', summary: 'Set the scenarios a delivered unit of a SKU starts (empty: none)',
    schemas: { params: automationRuleParamsSchema, body: putAutomationRuleRequestSchema, response: { 200: automationRuleSchema } },
  },
  {
    method: 'GET', path: '/v1/ops/policies/supplier-failure', service: 'fulfillment', target: '/ops/policies/supplier-failure', access: 'ops',
    tag: 'Fulfillment', summary: "What happens to a refusing or silent source's items while the rest ships: refund (default) or reroute",
    schemas: { response: { 200: supplierFailurePolicySchema } },
  },
  {
    method: 'PUT', path: '/v1/ops/policies/supplier-failure', service: 'fulfillment', target: '/ops/policies/supplier-failure', access: 'ops',
    tag: 'Fulfillment', summary: 'Set the supplier-failure policy: refund, or reroute to hub stock or another declared supplier (refund when none has the items)',
    schemas: { body: supplierFailurePolicyRequestSchema, response: { 200: supplierFailurePolicySchema } },
  },
  {
    method: 'GET', path: '/v1/ops/sku-sources/:sku', service: 'fulfillment', target: '/ops/sku-sources/:sku', access: 'ops',
    tag: 'Fulfillment', summary: 'The other suppliers declared for a SKU (tried in order when its source fails)',
    schemas: { params: skuParamsSchema, response: { 200: skuSourcesSchema } },
  },
  {
    method: 'PUT', path: '/v1/ops/sku-sources/:sku', service: 'fulfillment', target: '/ops/sku-sources/:sku', access: 'ops',
    tag: 'Fulfillment', summary: 'Declare the other suppliers that can deliver a SKU, in the order to try them',
    schemas: { params: skuParamsSchema, body: skuSourcesRequestSchema, response: { 200: skuSourcesSchema } },
  },
  // Returns (RMA, docs/returns.md): fulfillment owns them; billing refunds an inspected one.
  {
    method: 'POST', path: '/v1/orders/:id/returns', service: 'fulfillment', target: '/orders/:id/returns', access: 'customer', scope: 'order',
    tag: 'Fulfillment', summary: 'Open a return of delivered units within the return window (422 when not delivered, too late, or more than delivered minus already returned)',
    schemas: { params: orderIdParamsSchema, body: createReturnRequestSchema, response: { 201: returnSchema } },
  },
  {
    method: 'GET', path: '/v1/orders/:id/returns', service: 'fulfillment', target: '/orders/:id/returns', access: 'customer', scope: 'order',
    tag: 'Fulfillment', summary: "The order's returns with their steps, labels and inspected conditions",
    schemas: { params: orderIdParamsSchema, response: { 200: orderReturnsResponseSchema } },
  },
  {
    method: 'GET', path: '/v1/ops/returns', service: 'fulfillment', target: '/ops/returns', access: 'ops',
    tag: 'Fulfillment', summary: 'Returns, newest first, optionally by status, a page at a time (nextCursor)',
    schemas: { querystring: returnsQuerySchema, response: { 200: returnsResponseSchema } },
  },
  {
    method: 'POST', path: '/v1/ops/returns/:returnId/approve', service: 'fulfillment', target: '/ops/returns/:returnId/approve', access: 'ops',
    tag: 'Fulfillment', summary: "Approve a requested return: its label and tracking number are bought from the carrier; the parcel is tracked back to the hub",
    schemas: { params: returnParamsSchema, response: { 200: returnSchema } },
  },
  {
    method: 'POST', path: '/v1/ops/returns/:returnId/refuse', service: 'fulfillment', target: '/ops/returns/:returnId/refuse', access: 'ops',
    tag: 'Fulfillment', summary: 'Refuse a requested return, with the reason the customer is given',
    schemas: { params: returnParamsSchema, body: refuseReturnRequestSchema, response: { 200: returnSchema } },
  },
  {
    method: 'POST', path: '/v1/ops/returns/:returnId/receive', service: 'fulfillment', target: '/ops/returns/:returnId/receive', access: 'ops',
    tag: 'Fulfillment', summary: 'Record the return parcel at the hub when no carrier scan said so',
    schemas: { params: returnParamsSchema, response: { 200: returnSchema } },
  },
  {
    method: 'POST', path: '/v1/ops/returns/:returnId/inspect', service: 'fulfillment', target: '/ops/returns/:returnId/inspect', access: 'ops',
    tag: 'Fulfillment', summary: "Each line's condition: the restocking fee by the return policy; resellable units back into the hub's stock; billing then refunds",
    schemas: { params: returnParamsSchema, body: inspectReturnRequestSchema, response: { 200: returnSchema } },
  },
  {
    method: 'GET', path: '/v1/ops/policies/returns', service: 'fulfillment', target: '/ops/policies/returns', access: 'ops',
    tag: 'Fulfillment', summary: 'The return policy: window in days, restocking fee per condition (basis points)',
    schemas: { response: { 200: returnPolicySchema } },
  },
  {
    method: 'PUT', path: '/v1/ops/policies/returns', service: 'fulfillment', target: '/ops/policies/returns', access: 'ops',
    tag: 'Fulfillment', summary: 'Set the return policy for returns opened and inspected from now on',
    schemas: { body: returnPolicyRequestSchema, response: { 200: returnPolicySchema } },
  },
  {
    method: 'GET', path: '/v1/timers', service: 'fulfillment', target: '/timers', access: 'ops',
    tag: 'Fulfillment', summary: 'Durable timers, pending or fired',
    schemas: { querystring: timersQuerySchema, response: { 200: timersResponseSchema } },
  },
];

const trackingRoutes: ForwardRoute[] = [
  {
    method: 'GET', path: '/v1/tracking/:number', service: 'tracking', target: '/tracking/:number', access: 'public',
    tag: 'Tracking', summary: 'Track a shipment by its number',
    schemas: { params: trackingNumberParamsSchema, response: { 200: publicTrackingSchema } },
  },
  {
    method: 'GET', path: '/v1/tracking/providers', service: 'tracking', target: '/providers', access: 'ops',
    tag: 'Tracking', summary: "Tracking providers and their circuit breakers' states",
    schemas: { response: { 200: providerListSchema } },
  },
  {
    method: 'GET', path: '/v1/orders/:id/tracking', service: 'tracking', target: '/orders/:id/tracking', access: 'customer', scope: 'order',
    tag: 'Tracking', summary: "An order's shipments and their tracking history",
    schemas: { params: orderIdParamsSchema, response: { 200: orderTrackingSchema } },
  },
  {
    method: 'GET', path: '/v1/carriers', service: 'tracking', target: '/carriers', access: 'customer',
    tag: 'Tracking', summary: 'Known carriers and their tracking links',
    schemas: { response: { 200: carrierListSchema } },
  },
  {
    method: 'GET', path: '/v1/carriers/detect', service: 'tracking', target: '/carriers/detect', access: 'customer',
    tag: 'Tracking', summary: 'Carriers a tracking number may belong to',
    schemas: { querystring: detectCarrierQuerySchema, response: { 200: carrierDetectionSchema } },
  },
];

const notificationRoutes: ForwardRoute[] = [
  {
    method: 'GET', path: '/v1/orders/:id/notifications', service: 'notifications', target: '/orders/:id/notifications', access: 'customer', scope: 'order',
    tag: 'Notifications', summary: 'Notifications sent about an order',
    schemas: { params: orderIdParamsSchema, response: { 200: orderNotificationsResponseSchema } },
  },
  {
    method: 'GET', path: '/v1/customers/:customerId/preferences', service: 'notifications', target: '/customers/:customerId/preferences', access: 'customer', scope: 'customer',
    tag: 'Notifications', summary: "A customer's notification preferences",
    schemas: { params: customerIdParamsSchema, response: { 200: notificationPreferencesSchema } },
  },
  {
    method: 'PUT', path: '/v1/customers/:customerId/preferences', service: 'notifications', target: '/customers/:customerId/preferences', access: 'customer', scope: 'customer',
    tag: 'Notifications', summary: "Change a customer's notification preferences (only the fields given)",
    schemas: { params: customerIdParamsSchema, body: updatePreferencesRequestSchema, response: { 200: notificationPreferencesSchema } },
  },
  {
    method: 'PUT', path: '/v1/customers/:customerId/devices', service: 'notifications', target: '/customers/:customerId/devices', access: 'customer', scope: 'customer',
    tag: 'Notifications', summary: "Register a customer's push device (409 DEVICE_TOKEN_IN_USE when another customer holds the token)",
    schemas: { params: customerIdParamsSchema, body: registerDeviceRequestSchema, response: { 200: customerDevicesResponseSchema } },
  },
  {
    method: 'DELETE', path: '/v1/customers/:customerId/devices/:token', service: 'notifications', target: '/customers/:customerId/devices/:token', access: 'customer', scope: 'customer',
    tag: 'Notifications', summary: 'Deregister a push device (at sign-out), so it receives nothing more and may be registered by another customer',
    schemas: { params: customerDeviceParamsSchema, response: { 200: customerDevicesResponseSchema } },
  },
  {
    method: 'GET', path: '/v1/customers/:customerId/feed', service: 'notifications', target: '/customers/:customerId/feed', access: 'customer', scope: 'customer',
    tag: 'Notifications', summary: "A customer's in-app feed, newest first, with the unread count (`unread=true`: unread only)",
    schemas: { params: customerIdParamsSchema, querystring: feedQuerySchema, response: { 200: feedResponseSchema } },
  },
  {
    method: 'POST', path: '/v1/customers/:customerId/feed/read', service: 'notifications', target: '/customers/:customerId/feed/read', access: 'customer', scope: 'customer',
    tag: 'Notifications', summary: "Mark items of a customer's in-app feed read (`ids`, or `all: true`); reading again changes nothing",
    schemas: { params: customerIdParamsSchema, body: markFeedReadRequestSchema, response: { 200: markFeedReadResponseSchema } },
  },
  {
    method: 'POST', path: '/v1/templates/:name/preview', service: 'notifications', target: '/templates/:name/preview', access: 'ops',
    tag: 'Notifications', summary: 'Render a template with sample data',
    schemas: { params: templateNameParamsSchema, body: templatePreviewRequestSchema, response: { 200: templatePreviewResponseSchema } },
  },
  // The template admin (docs/notification-admin.md): editing customer-facing words is an admin's; reading, previewing and testing are ops'.
  {
    method: 'GET', path: '/v1/notification-templates/:name/:channel/:locale', service: 'notifications', target: '/notification-templates/:name/:channel/:locale', access: 'ops',
    tag: 'Notifications', summary: 'What a template renders from for one channel and locale: the live stored version, or the built-in files',
    schemas: { params: templateKeyParamsSchema, response: { 200: templateViewSchema } },
  },
  {
    method: 'PUT', path: '/v1/notification-templates/:name/:channel/:locale', service: 'notifications', target: '/notification-templates/:name/:channel/:locale', access: 'admin',
    tag: 'Notifications', summary: 'Save a new version of a template (checked against the sample order; 422 names the field that does not render); live for the next message',
    schemas: { params: templateKeyParamsSchema, body: saveTemplateRequestSchema, response: { 200: templateViewSchema } },
  },
  {
    method: 'GET', path: '/v1/notification-templates/:name/:channel/:locale/versions', service: 'notifications', target: '/notification-templates/:name/:channel/:locale/versions', access: 'ops',
    tag: 'Notifications', summary: "A template's saved versions, newest (live) first, with author and time",
    schemas: { params: templateKeyParamsSchema, response: { 200: templateVersionsResponseSchema } },
  },
  {
    method: 'POST', path: '/v1/notification-templates/:name/:channel/:locale/preview', service: 'notifications', target: '/notification-templates/:name/:channel/:locale/preview', access: 'ops',
    tag: 'Notifications', summary: 'Render the live template, or a draft, for a real order (or the sample order)',
    schemas: { params: templateKeyParamsSchema, body: templatePreviewAdminRequestSchema, response: { 200: renderedTemplateSchema } },
  },
  {
    method: 'POST', path: '/v1/notification-templates/:name/:channel/:locale/test-send', service: 'notifications', target: '/notification-templates/:name/:channel/:locale/test-send', access: 'ops',
    tag: 'Notifications', summary: 'Send the live template to a given address as a test (kept out of the order log and the analytics)',
    schemas: { params: templateKeyParamsSchema, body: testSendRequestSchema, response: { 202: testSendResponseSchema } },
  },
  {
    method: 'GET', path: '/v1/notifications', service: 'notifications', target: '/notifications', access: 'ops',
    tag: 'Notifications', summary: 'Every notification, newest first, filtered by template, channel, locale, status, order and time; test sends marked',
    schemas: { querystring: notificationHistoryQuerySchema, response: { 200: notificationHistorySchema } },
  },
  {
    method: 'GET', path: '/v1/notification-analytics', service: 'notifications', target: '/notification-analytics', access: 'ops',
    tag: 'Notifications', summary: 'Sent, delivered, failed and clicked counts per template, channel and locale (test sends not counted)',
    schemas: { querystring: notificationAnalyticsQuerySchema, response: { 200: notificationAnalyticsSchema } },
  },
  // Bulk sends reach many customers at once: starting one is an admin's; following it is ops'.
  {
    method: 'POST', path: '/v1/notification-campaigns', service: 'notifications', target: '/notification-campaigns', access: 'admin',
    tag: 'Notifications', summary: 'Send a template to every customer of a segment, paced; the same name again runs it again and sends nobody a second message',
    schemas: { body: createCampaignRequestSchema, response: { 200: campaignSchema.or(campaignDryRunSchema), 201: campaignSchema } },
  },
  {
    method: 'GET', path: '/v1/notification-campaigns/:id', service: 'notifications', target: '/notification-campaigns/:id', access: 'ops',
    tag: 'Notifications', summary: "A bulk send's status and counts (queued, planned, skipped, sent, delivered, failed, clicked)",
    schemas: { params: campaignIdParamsSchema, response: { 200: campaignSchema } },
  },
];

/** Every `/v1` route that is a plain forward: public path → service path, with its access and party scope. */
export const FORWARD_ROUTES: readonly ForwardRoute[] = [
  ...ordersRoutes,
  ...billingRoutes,
  ...fulfillmentRoutes,
  ...trackingRoutes,
  ...notificationRoutes,
];

/** The service path for a public path's parameters: `/orders/:id/process` + {id} → `/orders/<id>/process`. */
export function targetPath(target: string, params: Record<string, string>): string {
  return target.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${target}`);
    return encodeURIComponent(value);
  });
}
