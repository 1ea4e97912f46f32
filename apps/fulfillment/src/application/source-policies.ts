import { SUPPLIERS, type SupplierName } from '@platform/contracts';
import type { SupplierFailureMode } from '@platform/contracts/api/fulfillment';
import type { Transaction } from '../adapters/database';
import type { RerouteOptions } from '../domain/supplier-placement';
import type { Fulfillment } from './context';
import { freeAtHubs } from './inventory';

/**
 * What ops decide at run time about mixed sources (docs/requirements.md#ful-05-mixed-sources):
 * what happens to the items of a source that refused or timed out (`supplier-failure` policy),
 * and which other suppliers can deliver a SKU (`sku_sources`).
 */

const SUPPLIER_FAILURE = 'supplier-failure';

/**
 * Refund until ops choose otherwise: a refund is what the customer can always be given at once
 * and what billing settles exactly, while a re-route sends goods from a source the customer did
 * not buy from (another supplier's lead time, quality and cost), which ops should opt into
 * knowingly, after declaring the sources they trust per SKU.
 */
export const DEFAULT_SUPPLIER_FAILURE_MODE: SupplierFailureMode = 'refund';

type Reader = Pick<Transaction, 'fulfillmentPolicy' | 'skuSource'>;

export async function supplierFailureMode(db: Reader): Promise<SupplierFailureMode> {
  const row = await db.fulfillmentPolicy.findUnique({ where: { key: SUPPLIER_FAILURE } });
  return (row?.value as { mode?: SupplierFailureMode } | undefined)?.mode ?? DEFAULT_SUPPLIER_FAILURE_MODE;
}

/** `GET /ops/policies/supplier-failure`. */
export async function supplierFailurePolicy(fulfillment: Fulfillment) {
  const row = await fulfillment.db.fulfillmentPolicy.findUnique({ where: { key: SUPPLIER_FAILURE } });
  return {
    mode: (row?.value as { mode: SupplierFailureMode } | undefined)?.mode ?? DEFAULT_SUPPLIER_FAILURE_MODE,
    updatedAt: row?.updatedAt.toISOString() ?? null,
    updatedBy: row?.updatedBy ?? null,
  };
}

/** `PUT /ops/policies/supplier-failure`: applies to every failure from now on (parts already settled stay as they are). */
export async function setSupplierFailurePolicy(fulfillment: Fulfillment, mode: SupplierFailureMode, actor: string) {
  const now = fulfillment.clock.now();
  const value = { mode };
  const row = await fulfillment.db.fulfillmentPolicy.upsert({
    where: { key: SUPPLIER_FAILURE },
    create: { key: SUPPLIER_FAILURE, value, updatedAt: now, updatedBy: actor },
    update: { value, updatedAt: now, updatedBy: actor },
  });
  fulfillment.log.info({ policy: SUPPLIER_FAILURE, mode, actor }, 'supplier failure policy set');
  return { mode, updatedAt: row.updatedAt.toISOString(), updatedBy: row.updatedBy };
}

/** `GET /ops/sku-sources/:sku`: none declared is an empty list. */
export async function skuSources(fulfillment: Fulfillment, sku: string) {
  const row = await fulfillment.db.skuSource.findUnique({ where: { sku } });
  return { sku, sources: (row?.sources ?? []) as SupplierName[], updatedAt: row?.updatedAt.toISOString() ?? null, updatedBy: row?.updatedBy ?? null };
}

/** `PUT /ops/sku-sources/:sku`: the suppliers that can also deliver the SKU, in the order to try them. */
export async function setSkuSources(fulfillment: Fulfillment, sku: string, sources: SupplierName[], actor: string) {
  const now = fulfillment.clock.now();
  const row = await fulfillment.db.skuSource.upsert({
    where: { sku },
    create: { sku, sources, updatedAt: now, updatedBy: actor },
    update: { sources, updatedAt: now, updatedBy: actor },
  });
  fulfillment.log.info({ sku, sources, actor }, 'sku sources set');
  return { sku, sources, updatedAt: row.updatedAt.toISOString(), updatedBy: row.updatedBy };
}

/** What a re-route of `skus` can use now: free hub stock and the declared suppliers. */
export async function rerouteOptions(tx: Transaction, skus: string[], now: Date): Promise<RerouteOptions> {
  const [free, declared] = await Promise.all([freeAtHubs(tx, skus, now), tx.skuSource.findMany({ where: { sku: { in: skus } } })]);
  const known = new Set<string>(SUPPLIERS);
  return {
    freeAtHubs: free,
    alternatives: Object.fromEntries(declared.map((row) => [row.sku, row.sources.filter((s): s is SupplierName => known.has(s))])),
  };
}
