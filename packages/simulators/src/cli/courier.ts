/**
 * `pnpm courier <trackingNumber>` (TRK-05): drives a tracking number through the scripted
 * courier progression (InfoReceived → InTransit → OutForDelivery → Delivered) by asking the
 * tracking-provider simulator to push each step. Every step goes the real way: the simulator
 * signs a provider webhook and sends it to the gateway (`/v1/webhooks/17track|aftership`),
 * which forwards it to tracking. Prints each step and the webhook's answer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import got from 'got';
import { TRACKING_PROGRESSION } from '../tracking-scans';

const PROVIDERS = ['17track', 'aftership'] as const;
type Provider = (typeof PROVIDERS)[number];
type Step = (typeof TRACKING_PROGRESSION)[number];
const DEFAULT_SIMULATORS_URL = 'http://127.0.0.1:8090';

const USAGE = `Usage:
  pnpm courier <trackingNumber> [--provider 17track|aftership] [--to ${TRACKING_PROGRESSION.slice(1).join('|')}]
                                [--eta 2026-12-24] [--interval-ms 1000] [--simulators ${DEFAULT_SIMULATORS_URL}]

Pushes the next steps of the scripted progression (${TRACKING_PROGRESSION.join(' → ')}) for the
number through the provider simulator, which sends each as a signed webhook to the gateway, as
the real provider would. Stops at --to (default delivered); a number already there is left alone.

Options:
  --provider NAME     simulator that sends the webhooks: 17track (default) or aftership
  --to STATUS         last step to push (default delivered)
  --eta DATE          the carrier's new estimated delivery (ISO date or date-time), sent with
                      every step from the first (default: the simulator's, two days after registration)
  --interval-ms N     pause between steps (default 1000)
  --simulators URL    simulators base URL (env SIMULATORS_URL, default ${DEFAULT_SIMULATORS_URL})
  -h, --help          this text

Exit status 1 on bad arguments, an unreachable simulator, or a webhook the platform did not accept.
`;

interface Options {
  number: string;
  provider: Provider;
  to: Step;
  /** ISO date-time the carrier now expects to deliver, or undefined. */
  eta: string | undefined;
  intervalMs: number;
  simulators: string;
}

function usageError(message: string): never {
  process.stderr.write(`courier: ${message}\n\n${USAGE}`);
  process.exit(1);
}

function parse(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        provider: { type: 'string', default: '17track' },
        to: { type: 'string', default: 'delivered' },
        eta: { type: 'string' },
        'interval-ms': { type: 'string', default: '1000' },
        simulators: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (positionals.length !== 1) usageError(positionals.length === 0 ? 'a tracking number is required' : `unexpected arguments: ${positionals.slice(1).join(' ')}`);
  const number = positionals[0]!.replaceAll(/\s+/g, '').toUpperCase();
  if (!/^[A-Z0-9]{5,50}$/.test(number)) usageError(`${JSON.stringify(positionals[0])} is not a tracking number`);
  if (!PROVIDERS.includes(values.provider as Provider)) usageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
  if (!TRACKING_PROGRESSION.includes(values.to as Step)) usageError(`--to must be one of ${TRACKING_PROGRESSION.join(', ')}`);
  const intervalMs = Number(values['interval-ms']);
  if (!/^\d+$/.test(values['interval-ms']) || !Number.isSafeInteger(intervalMs)) usageError('--interval-ms must be a non-negative integer');
  const simulators = (values.simulators || process.env.SIMULATORS_URL || DEFAULT_SIMULATORS_URL).replace(/\/+$/, '');
  const eta = values.eta === undefined ? undefined : new Date(values.eta);
  if (eta && Number.isNaN(eta.getTime())) usageError('--eta must be an ISO date or date-time, e.g. 2026-12-24');
  return { number, provider: values.provider as Provider, to: values.to as Step, eta: eta?.toISOString(), intervalMs, simulators };
}

interface PushAnswer {
  status: string;
  webhook: { url: string; statusCode: number | null; body?: unknown; error?: string };
}

async function main(options: Options): Promise<void> {
  const base = `${options.simulators}/${options.provider}`;
  const http = got.extend({ throwHttpErrors: false, retry: { limit: 0 }, timeout: { request: 15_000 }, responseType: 'json' });

  // Where the number stands at the simulator (null: nothing pushed yet).
  const statePath = options.provider === '17track' ? '_sim/parcels' : '_sim/trackings';
  const state = await http.get(`${base}/${statePath}/${encodeURIComponent(options.number)}`);
  const current = state.statusCode === 200 ? ((state.body as unknown as { step?: string | null }).step ?? null) : null;
  const target = TRACKING_PROGRESSION.indexOf(options.to);
  if (current !== null && TRACKING_PROGRESSION.indexOf(current as Step) >= target) {
    process.stdout.write(`${options.number} is already at ${current}; nothing to push\n`);
    return;
  }

  process.stdout.write(`${options.number}: pushing through ${options.provider} up to ${options.to}\n`);
  for (let stepNo = 1; ; stepNo++) {
    const response = await http.post(`${base}/_sim/progress`, { json: { number: options.number, estimatedDelivery: options.eta } });
    if (response.statusCode !== 200) {
      throw new Error(`simulator answered HTTP ${response.statusCode}: ${JSON.stringify(response.body)}`);
    }
    const answer = response.body as unknown as PushAnswer;
    const { webhook } = answer;
    const outcome = webhook.error ?? JSON.stringify(webhook.body);
    process.stdout.write(`step ${stepNo}: ${answer.status.padEnd(16)} webhook ${webhook.url} → ${webhook.statusCode ?? 'no answer'} ${outcome}\n`);
    if (webhook.statusCode === null || webhook.statusCode >= 300) {
      process.exitCode = 1;
      return;
    }
    if (answer.status === options.to) return;
    if (options.intervalMs > 0) await sleep(options.intervalMs);
  }
}

const options = parse(process.argv.slice(2));
main(options).catch((error: Error) => {
  const reason = (error as { code?: string }).code === 'ECONNREFUSED' ? `no simulators at ${options.simulators} (is \`pnpm start\` running?)` : error.message;
  process.stderr.write(`courier: ${reason}\n`);
  process.exit(1);
});
