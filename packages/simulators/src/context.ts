import type { FastifyInstance } from 'fastify';
import type { SimulatorControl } from './control';
import type { ProviderCredentials } from './defaults';
import type { ProviderStore } from './state';

/**
 * What every provider module gets from the server (`server.ts` registers the providers; they
 * import this, never the server, so the module graph stays a tree).
 */
export interface SimulatorContext {
  control: SimulatorControl;
  credentials: ProviderCredentials;
  /** Base URL webhooks go to (the gateway), e.g. http://127.0.0.1:8080; each provider appends its path. */
  webhookBaseUrl: string;
  /** Where the provider keeps the objects it stores, so they survive a restart when the simulators have a state file. */
  store: ProviderStore;
}

export type RegisterProvider = (app: FastifyInstance, context: SimulatorContext) => void | Promise<void>;
