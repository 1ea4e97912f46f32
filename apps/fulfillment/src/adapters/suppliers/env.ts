import { envHelpers } from '@platform/config/env';
import { z } from 'zod';

const credential = z.string().min(1);
const httpUrl = envHelpers.url(['http:', 'https:']);

/**
 * The suppliers' settings. URLs default to the real providers (Spocket's is our assumption:
 * it documents no order API); credentials are required (the devstack passes the
 * simulators' local ones).
 */
export const supplierEnv = z.object({
  ALIEXPRESS_API_URL: httpUrl.default('https://api-sg.aliexpress.com'),
  ALIEXPRESS_APP_KEY: credential,
  ALIEXPRESS_APP_SECRET: credential,
  /** The IOP `session` (access token of the AliExpress account that buys). */
  ALIEXPRESS_SESSION: credential,
  CJ_API_URL: httpUrl.default('https://developers.cjdropshipping.com/api2.0/v1'),
  CJ_API_KEY: credential,
  SPOCKET_API_URL: httpUrl.default('https://api.spocket.co/v1'),
  SPOCKET_API_KEY: credential,
  /** Per-request timeout for supplier calls; a call without an answer by then counts as unavailable. */
  SUPPLIER_HTTP_TIMEOUT_MS: envHelpers.positiveInt.default(10_000),
});

export type SupplierEnv = z.infer<typeof supplierEnv>;
