import type { PlatformHttpServer } from '@platform/runtime/http';
import type { Fulfillment } from '../application/context';
import { registerAutomationRoutes } from './automation';
import { registerCommandRoutes } from './commands';
import { registerPolicyRoutes } from './policies';
import { registerReturnRoutes } from './returns';
import { registerViewRoutes } from './views';

/** Fulfillment's HTTP API: the read side (`views.ts`), the commands (`commands.ts`), ops policies (`policies.ts`), the automation steps (`automation.ts`) and returns (`returns.ts`). */
export function registerRoutes(app: PlatformHttpServer, fulfillment: Fulfillment): void {
  registerViewRoutes(app, fulfillment);
  registerCommandRoutes(app, fulfillment);
  registerPolicyRoutes(app, fulfillment);
  registerAutomationRoutes(app, fulfillment);
  registerReturnRoutes(app, fulfillment);
}
