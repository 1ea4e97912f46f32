import { databaseEnv, envHelpers, serviceEnv } from '@platform/config/env';
import { z } from 'zod';

const optionalCredential = z.string().min(1).optional();

/**
 * TikTok Shop as a sales channel (docs/providers/tiktok-shop.md): on when its app key is set,
 * and then the secret, token, shop cipher and shop id are required. The devstack passes the
 * simulator's local ones.
 */
export const tiktokShopEnv = z.object({
  TIKTOK_SHOP_API_URL: envHelpers.url(['http:', 'https:']).default('https://open-api.tiktokglobalshop.com'),
  TIKTOK_SHOP_APP_KEY: optionalCredential,
  TIKTOK_SHOP_APP_SECRET: optionalCredential,
  TIKTOK_SHOP_ACCESS_TOKEN: optionalCredential,
  TIKTOK_SHOP_SHOP_CIPHER: optionalCredential,
  TIKTOK_SHOP_SHOP_ID: optionalCredential,
  /** Our carrier code → the shop's TikTok `shipping_provider_id` (`CARRIER=id,...`; `*` for any other carrier). */
  TIKTOK_SHOP_SHIPPING_PROVIDERS: z.string().default('CAINIAO=7129736293314873131,CAINIAO_STANDARD=7129736293314873131,USPS=7208502187360519982,*=7248600717110282027'),
  /** Whose goods the shop sells: the vendor of its orders' items. */
  TIKTOK_SHOP_VENDOR_ID: z.string().min(1).default('tiktok-shop'),
  TIKTOK_SHOP_VENDOR_TYPE: z.enum(['brand', 'distributor']).default('brand'),
  /** Where the shop's goods come from, per SKU (`SKU=supplier,...`: aliexpress, cj, spocket); any other SKU ships from our hubs (own_stock). */
  TIKTOK_SHOP_SKU_SOURCES: z.string().default(''),
  TIKTOK_SHOP_HTTP_TIMEOUT_MS: envHelpers.positiveInt.default(10_000),
});

export const ordersEnv = serviceEnv
  .extend(databaseEnv.shape)
  .extend(tiktokShopEnv.shape)
  .extend({
    PORT: envHelpers.port.default(8081),
    SEED_DEMO_PRICE_BOOK: z.stringbool().default(true),
    /** How often each sales channel is asked for orders changed since the last pull (missed webhooks). */
    CHANNEL_PULL_INTERVAL_MS: envHelpers.positiveInt.default(300_000),
    /** How far back a channel's first pull looks. */
    CHANNEL_PULL_LOOKBACK_MS: envHelpers.positiveInt.default(86_400_000),
  });

export type OrdersEnv = z.infer<typeof ordersEnv>;
