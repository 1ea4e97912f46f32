/**
 * `pnpm nats:provision`: creates or updates every stream of the platform, as NATS user
 * `provisioner` (services may not create streams; they check theirs exist at start). The work
 * is in `@platform/runtime/nats-provisioning`. docs/nats-security.md.
 */
import { parseArgs } from 'node:util';
import { provisionNats } from '@platform/runtime/nats-provisioning';
import { cliNatsSettings } from '../nats-auth';
import { DEFAULT_NATS_URL } from '../operations';

const USAGE = `Usage:
  pnpm nats:provision [--replicas N] [--nats-url URL]

Creates every stream the platform declares (packages/contracts/src/streams.ts) that is missing,
and updates one whose settings differ (subjects, retention, duplicate window, max age,
replicas). Idempotent: run it before the services start, and again after the declarations
change; several runs at once are fine.

Connects as NATS_USER with NATS_PASSWORD (the provisioner's); without NATS_USER, as the local
platform's provisioner. NATS_TLS_CA_FILE (and NATS_TLS_CERT_FILE, NATS_TLS_KEY_FILE) where the
server offers TLS.

Options:
  --replicas N      stream replicas: 1 on a single server, 3 on a 3-node cluster
                    (env NATS_STREAM_REPLICAS, default 1)
  --nats-url URL    NATS server(s), comma separated (env NATS_URL, default ${DEFAULT_NATS_URL})
  -h, --help        this text
`;

function usageError(message: string): never {
  process.stderr.write(`nats:provision: ${message}\n\n${USAGE}`);
  process.exit(1);
}

function parse(argv: string[]): { replicas: number; natsUrl: string } {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: { replicas: { type: 'string' }, 'nats-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (error) {
    usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const raw = values.replicas ?? process.env.NATS_STREAM_REPLICAS ?? '1';
  if (!/^[1-5]$/.test(raw)) usageError(`--replicas must be 1 to 5, got ${JSON.stringify(raw)}`);
  return { replicas: Number(raw), natsUrl: values['nats-url'] || process.env.NATS_URL || DEFAULT_NATS_URL };
}

async function main(): Promise<void> {
  const { replicas, natsUrl } = parse(process.argv.slice(2));
  const settings = cliNatsSettings(natsUrl, 'provisioner');
  const outcome = await provisionNats(settings, replicas);
  for (const [stream, what] of Object.entries(outcome)) process.stdout.write(`${stream}: ${what}\n`);
  process.stdout.write(`streams provisioned on ${natsUrl} as ${settings.NATS_USER} (${replicas} replica${replicas === 1 ? '' : 's'})\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`nats:provision: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
