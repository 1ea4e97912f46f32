import { databaseEnv, envHelpers, serviceEnv } from '@platform/config/env';
import { z } from 'zod';
import { supplierEnv } from './adapters/suppliers/env';

export const fulfillmentEnv = serviceEnv
  .extend(databaseEnv.shape)
  .extend(supplierEnv.shape)
  .extend({
    PORT: envHelpers.port.default(8082),
    /** payment_confirmed → processing (60 s, docs/requirements.md#ful-01-order-workflow). */
    PAYMENT_CONFIRMED_DELAY_MS: envHelpers.positiveInt.default(60_000),
    /** How long a supplier order may go unanswered: that part fails alone while others go on, else the order fails (24 h, docs/requirements.md#ful-05-mixed-sources). */
    SUPPLIER_TIMEOUT_MS: envHelpers.positiveInt.default(86_400_000),
    /** How long after placement a supplier order may go without shipping before ops get a `supplier_overdue` task (7 days, docs/requirements.md#ful-05-mixed-sources). */
    SUPPLIER_SHIPPING_DEADLINE_MS: envHelpers.positiveInt.default(604_800_000),
    /** How soon a live supplier order's status is first asked (and again after it changed). */
    SUPPLIER_POLL_INTERVAL_MS: envHelpers.positiveInt.default(900_000),
    /** The poll interval doubles while nothing changes, up to this. */
    SUPPLIER_POLL_MAX_INTERVAL_MS: envHelpers.positiveInt.default(3_600_000),
    /** How long own stock stays held before the placement confirms it (FUL-03: 30 min). */
    RESERVATION_TTL_MS: envHelpers.positiveInt.default(1_800_000),
    /** The device/asset system post-delivery automation steps call (docs/providers/devices.md); ours, so no public default. */
    DEVICES_API_URL: envHelpers.url(['http:', 'https:']),
    DEVICES_API_KEY: z.string().min(1),
    /** The carrier side return labels are bought from (EasyPost's Shipment API, docs/returns.md). */
    EASYPOST_API_URL: envHelpers.url(['http:', 'https:']).default('https://api.easypost.com'),
    EASYPOST_API_KEY: z.string().min(1),
    /** `true`: adds the demo hubs and their stock at start (the local stack); off in production, where ops create hubs. */
    SEED_DEMO_HUBS: z.stringbool().default(false),
  });

export type FulfillmentEnv = z.infer<typeof fulfillmentEnv>;
