import { databaseEnv, envHelpers, serviceEnv } from '@platform/config/env';
import { z } from 'zod';
import { REFUND_POLICIES } from './application/context';

export const billingEnv = serviceEnv.extend(databaseEnv.shape).extend({
  PORT: envHelpers.port.default(8085),
  STRIPE_API_URL: envHelpers.url(['http:', 'https:']).default('https://api.stripe.com'),
  STRIPE_SECRET_KEY: z.string().min(1),
  STRIPE_WEBHOOK_SECRET: z.string().min(1),
  /** Max |now - t| of a Stripe-Signature, in seconds (Stripe's libraries use 300). */
  STRIPE_WEBHOOK_TOLERANCE_S: envHelpers.positiveInt.default(300),
  CHECKOUT_SUCCESS_URL: envHelpers.url(['http:', 'https:']).default('http://127.0.0.1:8080/v1/checkout/complete'),
  INVOICE_DUE_DAYS: envHelpers.positiveInt.default(14),
  /** Whether a cancel's refund waits until fulfillment has the supplier order cancelled (or ops settled it). */
  REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL: z.enum(REFUND_POLICIES).default('after_supplier_cancel'),
});

export type BillingEnv = z.infer<typeof billingEnv>;
