import formbody from '@fastify/formbody';
import type { SupplierName } from '@platform/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { SimulatorControl } from './control';
import { LOCAL_PROVIDER_CREDENTIALS, type ProviderCredentials } from './defaults';
import { registerAftership } from './providers/aftership';
import { registerAliexpress } from './providers/aliexpress';
import { registerCj } from './providers/cj';
import { registerFcm } from './providers/fcm';
import { registerSeventeenTrack } from './providers/seventeen-track';
import { registerSpocket } from './providers/spocket';
import { registerStripe } from './providers/stripe';
import { registerTwilio } from './providers/twilio';

/** What every provider module gets: its switch, the credentials it checks, and where to push webhooks. */
export interface SimulatorContext {
  control: SimulatorControl;
  credentials: ProviderCredentials;
  /** Base URL webhooks go to (the gateway), e.g. http://127.0.0.1:8080; each provider appends its path. */
  webhookBaseUrl: string;
}

export type RegisterProvider = (app: FastifyInstance, context: SimulatorContext) => void | Promise<void>;

/**
 * Providers by URL prefix: `http://<host>:<port>/<prefix>` stands in for the provider's base URL.
 * Every supplier of the contracts' list has one (the type says so).
 */
export const PROVIDERS = {
  stripe: registerStripe,
  aliexpress: registerAliexpress,
  cj: registerCj,
  spocket: registerSpocket,
  '17track': registerSeventeenTrack,
  aftership: registerAftership,
  twilio: registerTwilio,
  fcm: registerFcm,
} as const satisfies Record<string, RegisterProvider> & Record<SupplierName, RegisterProvider>;
export type ProviderName = keyof typeof PROVIDERS;

export interface SimulatorOptions {
  port?: number;
  host?: string;
  webhookBaseUrl: string;
  credentials?: ProviderCredentials;
}

export interface SimulatorHandle {
  /** http://127.0.0.1:<port>; a provider's base URL is `${url}/<prefix>`. */
  url: string;
  port: number;
  controls: Record<ProviderName, SimulatorControl>;
  baseUrl(provider: ProviderName): string;
  stop(): Promise<void>;
}

/** All provider simulators on one port, each under its own prefix. */
export async function startSimulators(options: SimulatorOptions): Promise<SimulatorHandle> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(formbody);
  const controls = {} as Record<ProviderName, SimulatorControl>;
  for (const [prefix, register] of Object.entries(PROVIDERS) as Array<[ProviderName, RegisterProvider]>) {
    const control = new SimulatorControl(prefix);
    controls[prefix] = control;
    await app.register(
      async (scope) => {
        control.registerRoutes(scope);
        await register(scope, { control, credentials: options.credentials ?? LOCAL_PROVIDER_CREDENTIALS, webhookBaseUrl: options.webhookBaseUrl });
      },
      { prefix: `/${prefix}` },
    );
  }
  app.get('/', async () => ({ providers: Object.keys(PROVIDERS).map((p) => `/${p}`) }));
  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const port = Number(new URL(address).port);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    controls,
    baseUrl: (provider) => `${url}/${provider}`,
    stop: () => app.close(),
  };
}
