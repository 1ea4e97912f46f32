import { databaseEnv, envHelpers, serviceEnv } from '@platform/config/env';
import { z } from 'zod';

export const ordersEnv = serviceEnv
  .extend(databaseEnv.shape)
  .extend({ PORT: envHelpers.port.default(8081), SEED_DEMO_PRICE_BOOK: z.stringbool().default(true) });

export type OrdersEnv = z.infer<typeof ordersEnv>;
