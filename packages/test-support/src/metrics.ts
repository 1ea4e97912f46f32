import type { ServiceName } from '@platform/devstack';
import { parseExposition, type Sample } from '@platform/runtime/prometheus-text';
import type { Platform } from './platform';

// The parser lives in runtime (the gateway's console reads the services' metrics with it too).
export { parseExposition, type Sample, sampleValue } from '@platform/runtime/prometheus-text';

/** A service's `/metrics` as it is now (on its own port; the gateway's on its management port). */
export async function scrapeMetrics(platform: Platform, service: ServiceName): Promise<Sample[]> {
  const base = service === 'gateway' ? platform.stack.gatewayManagementUrl : platform.stack.services[service]!.url;
  const answer = await fetch(`${base}/metrics`);
  if (!answer.ok) throw new Error(`${service} /metrics answered ${answer.status}`);
  return parseExposition(await answer.text());
}
