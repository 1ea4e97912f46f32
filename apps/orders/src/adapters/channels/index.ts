import type { SalesChannel as SalesChannelName } from '@platform/contracts';
import { createHttpClient } from '@platform/runtime/http-client';
import type { OrdersEnv } from '../../config';
import type { SalesChannel } from './port';
import { createTiktokShopChannel } from './tiktok-shop';

/** `KEY=value,...` → {KEY: value} (keys upper-cased). */
export function parsePairs(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .map((pair) => pair.split('=').map((part) => part.trim()))
      .filter((pair): pair is [string, string] => pair.length === 2 && pair[0] !== '' && pair[1] !== '')
      .map(([carrier, id]) => [carrier.toUpperCase(), id]),
  );
}

/** The sales channels configured in the environment, one adapter each. */
export function configuredChannels(env: OrdersEnv): Map<SalesChannelName, SalesChannel> {
  const channels = new Map<SalesChannelName, SalesChannel>();
  if (env.TIKTOK_SHOP_APP_KEY) {
    const missing = (['TIKTOK_SHOP_APP_SECRET', 'TIKTOK_SHOP_ACCESS_TOKEN', 'TIKTOK_SHOP_SHOP_CIPHER', 'TIKTOK_SHOP_SHOP_ID'] as const).filter((name) => !env[name]);
    if (missing.length > 0) throw new Error(`TIKTOK_SHOP_APP_KEY is set, so ${missing.join(', ')} must be set too`);
    const http = createHttpClient({ prefixUrl: env.TIKTOK_SHOP_API_URL, timeoutMs: env.TIKTOK_SHOP_HTTP_TIMEOUT_MS, userAgent: 'platform-orders' });
    channels.set(
      'tiktok_shop',
      createTiktokShopChannel(http, {
        appKey: env.TIKTOK_SHOP_APP_KEY,
        appSecret: env.TIKTOK_SHOP_APP_SECRET!,
        accessToken: env.TIKTOK_SHOP_ACCESS_TOKEN!,
        shopCipher: env.TIKTOK_SHOP_SHOP_CIPHER!,
        shopId: env.TIKTOK_SHOP_SHOP_ID!,
        shippingProviders: parsePairs(env.TIKTOK_SHOP_SHIPPING_PROVIDERS),
      }),
    );
  }
  return channels;
}
