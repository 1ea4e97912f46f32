import { actorOf } from '@platform/runtime/actor';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  skuParamsSchema,
  skuSourcesRequestSchema,
  skuSourcesSchema,
  supplierFailurePolicyRequestSchema,
  supplierFailurePolicySchema,
} from '@platform/contracts/api/fulfillment';
import type { Fulfillment } from '../application/context';
import { setSkuSources, setSupplierFailurePolicy, skuSources, supplierFailurePolicy } from '../application/source-policies';

/** What ops set at run time for mixed sources: the supplier-failure policy and each SKU's other suppliers. */
export function registerPolicyRoutes(app: PlatformHttpServer, fulfillment: Fulfillment): void {
  app.get('/ops/policies/supplier-failure', { schema: { response: { 200: supplierFailurePolicySchema } } }, () => supplierFailurePolicy(fulfillment));

  app.put(
    '/ops/policies/supplier-failure',
    { schema: { body: supplierFailurePolicyRequestSchema, response: { 200: supplierFailurePolicySchema } } },
    (request) => setSupplierFailurePolicy(fulfillment, request.body.mode, actorOf(request).name),
  );

  app.get('/ops/sku-sources/:sku', { schema: { params: skuParamsSchema, response: { 200: skuSourcesSchema } } }, (request) =>
    skuSources(fulfillment, request.params.sku),
  );

  app.put(
    '/ops/sku-sources/:sku',
    { schema: { params: skuParamsSchema, body: skuSourcesRequestSchema, response: { 200: skuSourcesSchema } } },
    (request) => setSkuSources(fulfillment, request.params.sku, request.body.sources, actorOf(request).name),
  );
}
