import { ConfigError, loadEnv } from '@platform/config/env';
import { describe, expect, it } from 'vitest';
import { gatewayEnv } from './config';

describe('gateway environment', () => {
  it('has working local defaults: development keys, no CORS origin, 600 requests a minute', () => {
    const env = loadEnv(gatewayEnv, {});
    expect(env.API_KEYS).toBeUndefined();
    expect(env).toMatchObject({ CORS_ORIGINS: [], RATE_LIMIT_PER_MINUTE: 600, COMPOSE_TIMEOUT_MS: 1_500, ORDERS_URL: 'http://127.0.0.1:8081' });
  });

  it('refuses to start in production without API_KEYS or ORDER_LINK_SECRET, naming it', () => {
    expect(() => loadEnv(gatewayEnv, { NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadEnv(gatewayEnv, { NODE_ENV: 'production' })).toThrow(/API_KEYS .*required when NODE_ENV=production/);
    const keys = JSON.stringify([{ id: 'root', key: 'a-long-admin-key', role: 'admin' }]);
    expect(() => loadEnv(gatewayEnv, { NODE_ENV: 'production', API_KEYS: keys })).toThrow(/ORDER_LINK_SECRET .*required when NODE_ENV=production/);
    expect(loadEnv(gatewayEnv, { NODE_ENV: 'production', API_KEYS: keys, ORDER_LINK_SECRET: 's'.repeat(32) }).API_KEYS).toHaveLength(1);
  });

  it('names what is wrong in API_KEYS without echoing a key', () => {
    const load = (value: string) => () => loadEnv(gatewayEnv, { API_KEYS: value });
    expect(load('[{"id":"x","key":"super-secret","role":"customer"}]')).toThrow(/API_KEYS\.0\.customerId .*required for a customer key/);
    expect(load('[{"id":"x","key":"super-secret","role":"customer"}]')).not.toThrow(/super-secret/);
    expect(load('{super-secret')).toThrow(/API_KEYS=\(value hidden\) is invalid: must be a JSON array/);
  });

  it('reads CORS origins as a comma-separated list of URLs', () => {
    expect(loadEnv(gatewayEnv, { CORS_ORIGINS: 'https://shop.test, https://admin.shop.test' }).CORS_ORIGINS).toEqual(['https://shop.test', 'https://admin.shop.test']);
    expect(() => loadEnv(gatewayEnv, { CORS_ORIGINS: 'shop' })).toThrow(/CORS_ORIGINS/);
  });
});
