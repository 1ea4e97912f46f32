/**
 * `pnpm chaos`: starts its own platform, drives a seeded mix of order journeys while killing,
 * restarting and pausing its parts, settles, and checks what it sent against what every service
 * and provider shows. Prints the faults, a summary and the evidence of each anomaly; exits 1 on any.
 *
 *   pnpm chaos [--orders 200] [--concurrency 16] [--seed 42] [--duration 120] [--settle-timeout 300]
 *              [--kills-per-service 3] [--nats-kills 2] [--postgres-kills 1] [--pauses 4] [--keep]
 */
import { parseArgs } from 'node:util';
import { formatReport } from '../chaos/report';
import { runChaos } from '../chaos/run';

const USAGE = `Usage: pnpm chaos [options]

Starts its own platform (free ports, temp dir), places orders through the gateway while it
SIGKILLs services, NATS and PostgreSQL and pauses processes, then settles and checks for lost
orders, duplicated effects, inconsistent or stuck orders, dead letters, overdue timers, stock
and money. Exit status 1 when it finds an anomaly.

  --orders N             orders (default 200)
  --concurrency C        journeys in flight (default 16)
  --seed S               seed of the journeys and faults (default 42)
  --duration S           seconds the faults are spread over (default 120)
  --settle-timeout S     upper bound of the settle phase (default 300)
  --kills-per-service K  SIGKILLs of each service (default 3)
  --nats-kills K         SIGKILLs of NATS, each restarted (default 2)
  --postgres-kills K     SIGKILLs of PostgreSQL, each restarted (default 1)
  --pauses K             SIGSTOP/SIGCONT of a random process (default 4)
  --keep                 keep the temp dir with the logs
  -h, --help             this text
`;

function parse(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      options: {
        orders: { type: 'string', default: '200' },
        concurrency: { type: 'string', default: '16' },
        seed: { type: 'string', default: '42' },
        duration: { type: 'string', default: '120' },
        'settle-timeout': { type: 'string', default: '300' },
        'kills-per-service': { type: 'string', default: '3' },
        'nats-kills': { type: 'string', default: '2' },
        'postgres-kills': { type: 'string', default: '1' },
        pauses: { type: 'string', default: '4' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(1);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name: keyof typeof values, min: number): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) {
      process.stderr.write(`--${name} must be an integer >= ${min} (got "${String(values[name])}")\n`);
      process.exit(1);
    }
    return value;
  };
  return {
    orders: int('orders', 1),
    concurrency: int('concurrency', 1),
    seed: int('seed', 0),
    durationMs: int('duration', 10) * 1000,
    settleTimeoutMs: int('settle-timeout', 10) * 1000,
    killsPerService: int('kills-per-service', 0),
    natsKills: int('nats-kills', 0),
    postgresKills: int('postgres-kills', 0),
    pauses: int('pauses', 0),
    keep: values.keep,
  };
}

async function main(): Promise<void> {
  const settings = parse(process.argv.slice(2));
  const log = (line: string): void => void process.stderr.write(`chaos: ${line}\n`);
  const report = await runChaos({ ...settings, log });
  process.stdout.write(formatReport(report));
  if (settings.keep) log(`logs kept in ${report.dataDir}/logs`);
  process.exitCode = report.anomalies.length > 0 || report.faults.some((f) => !f.done) ? 1 : 0;
}

main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((error: unknown) => {
    process.stderr.write(`\nchaos: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
