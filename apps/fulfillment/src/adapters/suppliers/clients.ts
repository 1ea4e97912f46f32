import { createHttpClient } from '@platform/runtime/http-client';
import { AliexpressClient } from './aliexpress';
import { CjClient } from './cj';
import type { SupplierEnv } from './env';
import { SpocketClient } from './spocket';
import type { SupplierName } from '@platform/contracts';
import type { RecordSupplierCall, SupplierClient } from './supplier-client';
import { SupplierHttp } from './supplier-http';

/** One client per supplier, each with its own HTTP client (base URL, timeout) and call log. */
export function createSupplierClients(env: SupplierEnv, recordCall: RecordSupplierCall): Record<SupplierName, SupplierClient> {
  const transport = (supplier: SupplierName, baseUrl: string, secrets: string[]) =>
    new SupplierHttp(
      supplier,
      createHttpClient({ prefixUrl: baseUrl, timeoutMs: env.SUPPLIER_HTTP_TIMEOUT_MS, userAgent: 'platform-fulfillment' }),
      recordCall,
      secrets,
    );
  return {
    aliexpress: new AliexpressClient(transport('aliexpress', env.ALIEXPRESS_API_URL, [env.ALIEXPRESS_APP_SECRET, env.ALIEXPRESS_SESSION]), {
      appKey: env.ALIEXPRESS_APP_KEY,
      appSecret: env.ALIEXPRESS_APP_SECRET,
      session: env.ALIEXPRESS_SESSION,
    }),
    cj: new CjClient(transport('cj', env.CJ_API_URL, [env.CJ_API_KEY]), { apiKey: env.CJ_API_KEY }),
    spocket: new SpocketClient(transport('spocket', env.SPOCKET_API_URL, [env.SPOCKET_API_KEY]), { apiKey: env.SPOCKET_API_KEY }),
  };
}
