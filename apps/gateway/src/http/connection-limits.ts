import type { PlatformHttpServer } from '@platform/runtime/http';
import type { GatewayEnv } from '../config';

/**
 * Bounds what one client can hold: a request (headers and body) must arrive within its
 * timeouts or is answered 408 and closed, idle keep-alive connections close, and connections
 * over the cap are closed as they arrive. Set before `listen`.
 */
export function limitConnections(
  app: PlatformHttpServer,
  env: Pick<GatewayEnv, 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_KEEP_ALIVE_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS'>,
): void {
  // `connectionsCheckingInterval` is a constructor option Node keeps on the server and reads at `listen`.
  const server = app.server as typeof app.server & { connectionsCheckingInterval: number };
  server.requestTimeout = env.HTTP_REQUEST_TIMEOUT_MS;
  server.headersTimeout = env.HTTP_HEADERS_TIMEOUT_MS;
  server.keepAliveTimeout = env.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = env.HTTP_MAX_CONNECTIONS;
  // Node enforces both timeouts on this sweep (30 s by default); a quarter of the shorter keeps them close to exact.
  server.connectionsCheckingInterval = Math.max(10, Math.min(30_000, Math.floor(env.HTTP_HEADERS_TIMEOUT_MS / 4)));
}
