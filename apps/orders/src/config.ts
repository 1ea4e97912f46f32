import { databaseEnv, envHelpers, serviceEnv } from '@platform/config/env';
import { z } from 'zod';
import { DEFAULT_SOURCE_LEAD_TIMES, sourceLeadTimesSchema } from './domain/delivery-promise';

/** `DELIVERY_SOURCES`: JSON, every source's `{leadDays, origin}` (docs/delivery-promise.md); unset: the defaults. */
const deliverySources = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(sourceLeadTimesSchema)
  .default(DEFAULT_SOURCE_LEAD_TIMES);

export const ordersEnv = serviceEnv
  .extend(databaseEnv.shape)
  .extend({ PORT: envHelpers.port.default(8081), SEED_DEMO_PRICE_BOOK: z.stringbool().default(true), DELIVERY_SOURCES: deliverySources });

export type OrdersEnv = z.infer<typeof ordersEnv>;
