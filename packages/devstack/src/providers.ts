/**
 * Which provider variables each service reads, and their local values: the simulators'
 * URLs and the shared local credentials. A variable set by the caller (e.g. STRIPE_API_URL
 * pointing at the real Stripe) wins over the local value (README, "Real providers").
 */
import { LOCAL_PROVIDER_CREDENTIALS as local, type ProviderName } from '@platform/simulators';
import type { ServiceName } from './services';

type ProviderVariables = (simulator: (provider: ProviderName) => string) => Record<string, string>;

export const PROVIDER_VARIABLES: Partial<Record<ServiceName, ProviderVariables>> = {
  orders: (sim) => ({
    TIKTOK_SHOP_API_URL: sim('tiktok-shop'),
    TIKTOK_SHOP_APP_KEY: local.tiktokShop.appKey,
    TIKTOK_SHOP_APP_SECRET: local.tiktokShop.appSecret,
    TIKTOK_SHOP_ACCESS_TOKEN: local.tiktokShop.accessToken,
    TIKTOK_SHOP_SHOP_CIPHER: local.tiktokShop.shopCipher,
    TIKTOK_SHOP_SHOP_ID: local.tiktokShop.shopId,
  }),
  billing: (sim) => ({
    STRIPE_API_URL: sim('stripe'),
    STRIPE_SECRET_KEY: local.stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: local.stripe.webhookSecret,
  }),
  fulfillment: (sim) => ({
    ALIEXPRESS_API_URL: sim('aliexpress'),
    ALIEXPRESS_APP_KEY: local.aliexpress.appKey,
    ALIEXPRESS_APP_SECRET: local.aliexpress.appSecret,
    ALIEXPRESS_SESSION: local.aliexpress.session,
    CJ_API_URL: sim('cj'),
    CJ_API_KEY: local.cj.apiKey,
    SPOCKET_API_URL: sim('spocket'),
    SPOCKET_API_KEY: local.spocket.apiKey,
    DEVICES_API_URL: sim('devices'),
    DEVICES_API_KEY: local.devices.apiKey,
    EASYPOST_API_URL: sim('easypost'),
    EASYPOST_API_KEY: local.easypost.apiKey,
  }),
  tracking: (sim) => ({
    SEVENTEEN_TRACK_API_URL: sim('17track'),
    SEVENTEEN_TRACK_API_KEY: local.seventeenTrack.apiKey,
    AFTERSHIP_API_URL: sim('aftership'),
    AFTERSHIP_API_KEY: local.aftership.apiKey,
    AFTERSHIP_WEBHOOK_SECRET: local.aftership.webhookSecret,
  }),
  notifications: (sim) => ({
    TWILIO_API_URL: sim('twilio'),
    TWILIO_ACCOUNT_SID: local.twilio.accountSid,
    TWILIO_AUTH_TOKEN: local.twilio.authToken,
    TWILIO_FROM: local.twilio.from,
    FCM_API_URL: sim('fcm'),
    FCM_PROJECT_ID: local.fcm.projectId,
    FCM_ACCESS_TOKEN: local.fcm.accessToken,
  }),
};

/** The provider variables for `service`: local values, each overridden by `overrides` when set there. */
export function providerEnvFor(
  service: ServiceName,
  simulatorUrl: string | undefined,
  overrides: Record<string, string | undefined>,
): Record<string, string> {
  const variables = PROVIDER_VARIABLES[service];
  if (!variables) return {};
  const local = simulatorUrl ? variables((provider) => `${simulatorUrl}/${provider}`) : {};
  const names = Object.keys(variables(() => ''));
  const result: Record<string, string> = {};
  for (const name of names) {
    const value = overrides[name] ?? local[name];
    if (value !== undefined) result[name] = value;
  }
  return result;
}
