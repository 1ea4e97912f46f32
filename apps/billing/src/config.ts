import { databaseEnv, envHelpers, serviceEnv } from '@platform/config/env';
import { orderLinkSecret } from '@platform/config/order-links';
import { z } from 'zod';
import { REFUND_POLICIES } from './application/context';

/** 0 to 10000 basis points (0 % to 100 %). */
const feeBps = z.coerce.number().int().min(0).max(10_000);

export const billingEnv = serviceEnv.extend(databaseEnv.shape).extend({
  PORT: envHelpers.port.default(8085),
  STRIPE_API_URL: envHelpers.url(['http:', 'https:']).default('https://api.stripe.com'),
  STRIPE_SECRET_KEY: z.string().min(1),
  STRIPE_WEBHOOK_SECRET: z.string().min(1),
  /** Max |now - t| of a Stripe-Signature, in seconds (Stripe's libraries use 300). */
  STRIPE_WEBHOOK_TOLERANCE_S: envHelpers.positiveInt.default(300),
  /** Public base URL of the platform: the payment page returns the customer to its `/pay/complete` and `/pay/cancelled` pages. */
  PUBLIC_BASE_URL: envHelpers.url(['http:', 'https:']).default('http://127.0.0.1:8080'),
  /**
   * Signs the order link the payment page returns with (the same secret as notifications' and the
   * gateway's), so the page after paying names the order and opens it; unset: it names neither.
   */
  ORDER_LINK_SECRET: orderLinkSecret.optional(),
  INVOICE_DUE_DAYS: envHelpers.positiveInt.default(14),
  /** Whether a cancel's refund waits until fulfillment has the supplier order cancelled (or ops settled it). */
  REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL: z.enum(REFUND_POLICIES).default('after_supplier_cancel'),
  /** Platform fee on a brand's allocation of each payment, in basis points (1000 = 10 %). */
  PLATFORM_FEE_BRAND_BPS: feeBps.default(1000),
  /** Platform fee on a distributor's allocation of each payment, in basis points (1500 = 15 %). */
  PLATFORM_FEE_DISTRIBUTOR_BPS: feeBps.default(1500),
  /** How often vendors' payout statements are drawn up and their balances transferred (7 days). */
  PAYOUT_INTERVAL_MS: envHelpers.positiveInt.default(7 * 24 * 60 * 60 * 1000),
});

export type BillingEnv = z.infer<typeof billingEnv>;
