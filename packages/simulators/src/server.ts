import formbody from '@fastify/formbody';
import type { SupplierName } from '@platform/contracts';
import Fastify from 'fastify';
import type { RegisterProvider } from './context';
import { SimulatorControl, switchAtRest } from './control';
import { LOCAL_PROVIDER_CREDENTIALS, type ProviderCredentials } from './defaults';
import { registerAftership } from './providers/aftership';
import { registerAliexpress } from './providers/aliexpress';
import { registerCj } from './providers/cj';
import { registerDevices } from './providers/devices';
import { registerEasypost } from './providers/easypost';
import { registerFcm } from './providers/fcm';
import { registerSeventeenTrack } from './providers/seventeen-track';
import { registerSpocket } from './providers/spocket';
import { registerStripe } from './providers/stripe';
import { registerTiktokShop } from './providers/tiktok-shop';
import { registerTwilio } from './providers/twilio';
import { SimulatorState } from './state';

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
  devices: registerDevices,
  easypost: registerEasypost,
  'tiktok-shop': registerTiktokShop,
} as const satisfies Record<string, RegisterProvider> & Record<SupplierName, RegisterProvider>;
export type ProviderName = keyof typeof PROVIDERS;

export interface SimulatorOptions {
  port?: number;
  host?: string;
  webhookBaseUrl: string;
  credentials?: ProviderCredentials;
  /**
   * JSON file the providers' stored objects and switches are kept in, so a restart finds them
   * again (the platform command: `<data dir>/simulators.json`). Without it, memory only.
   */
  stateFile?: string;
}

export interface SimulatorHandle {
  /** http://127.0.0.1:<port>; a provider's base URL is `${url}/<prefix>`. */
  url: string;
  port: number;
  controls: Record<ProviderName, SimulatorControl>;
  baseUrl(provider: ProviderName): string;
  /** Stops the server, then writes the state file (when there is one) a last time. */
  stop(): Promise<void>;
}

/** All provider simulators on one port, each under its own prefix. */
export async function startSimulators(options: SimulatorOptions): Promise<SimulatorHandle> {
  const state = await SimulatorState.open(options.stateFile);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(formbody);
  // Any call may change what a provider stores or its switch (a status query advances a supplier
  // order, a call uses up one of `times`); the state module writes only what really changed.
  // On the request too: a `timeout` call never answers, but it did use up its switch.
  app.addHook('onRequest', async () => state.changed());
  app.addHook('onResponse', async () => state.changed());
  const controls = {} as Record<ProviderName, SimulatorControl>;
  for (const [prefix, register] of Object.entries(PROVIDERS) as Array<[ProviderName, RegisterProvider]>) {
    const control = new SimulatorControl(prefix, state.keep(prefix, 'switch', switchAtRest));
    controls[prefix] = control;
    await app.register(
      async (scope) => {
        control.registerRoutes(scope);
        await register(scope, {
          control,
          credentials: options.credentials ?? LOCAL_PROVIDER_CREDENTIALS,
          webhookBaseUrl: options.webhookBaseUrl,
          store: state.store(prefix),
        });
      },
      { prefix: `/${prefix}` },
    );
  }
  app.get('/', async () => ({ providers: Object.keys(PROVIDERS).map((p) => `/${p}`) }));
  /** Every provider's switch, and the one reset for all of them (`DELETE /<provider>/_sim/behaviour` resets one). */
  const switches = () => Object.fromEntries(Object.entries(controls).map(([prefix, control]) => [prefix, control.peek()]));
  app.get('/_sim/behaviour', async () => switches());
  app.delete('/_sim/behaviour', async () => {
    for (const control of Object.values(controls)) control.reset();
    return switches();
  });
  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const port = Number(new URL(address).port);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    controls,
    baseUrl: (provider) => `${url}/${provider}`,
    stop: async () => {
      await app.close();
      await state.close();
    },
  };
}
