/**
 * `pnpm replay`: moves an existing durable consumer back so it redelivers from a stream
 * sequence or a point in time. The work is in `../operations.ts` (`replayConsumer`).
 */
import { parseArgs } from 'node:util';
import {
  connectOperations,
  DEFAULT_NATS_URL,
  formatConsumerState,
  OperationError,
  type ReplayStart,
  replayConsumer,
  validateConsumerName,
} from '../operations';
import { cliNatsSettings } from '../nats-auth';

const USAGE = `Usage:
  pnpm replay --stream STREAM --consumer DURABLE (--from-seq N | --since ISO-TIME) [--force]

Moves an existing durable consumer back so it redelivers every message of its stream (that
matches its filter) from stream sequence N, or from the first message stored at or after
ISO-TIME (e.g. 2025-01-31T12:00:00Z). JetStream keeps 90 days of history.

How: reads the consumer's config, deletes it, and re-creates it under the same name with the
same config but deliver_policy by_start_sequence (--from-seq) or by_start_time (--since).
The service that owns the consumer may keep running: it sees the consumer deleted and
resumes on the re-created one within a second or two. Prints the consumer's state before
and after (num_pending).

Replayed events that the consumer already applied are acknowledged without effect: consumers
are idempotent (each applied event has a row in that service's processed_events table). So a
replay alone changes nothing; it re-applies only events whose processed_events rows are gone.
To rebuild a read model: stop or pause its writes, empty the read model AND delete that
consumer's rows from processed_events (DELETE FROM processed_events WHERE consumer = '<DURABLE>'),
then replay from the first event the read model needs.

Refuses when the consumer does not exist (list consumers with: nats consumer ls STREAM), and
when the start point lies beyond messages the consumer has not been delivered yet (they would
be skipped for good; --force allows it). Messages delivered but not yet acknowledged before
the start point (in a retry backoff) are not redelivered: check pnpm dead-letters list too.

Options:
  --stream STREAM       the stream the consumer reads (e.g. ORDERS)
  --consumer DURABLE    durable consumer name, <service>--<purpose> (e.g. notifications--order-confirmation)
  --from-seq N          redeliver from this stream sequence
  --since ISO-TIME      redeliver from this time (ISO 8601 with a time zone, e.g. ...Z or +02:00)
  --force               allow moving the consumer forward past messages it has not received
  --nats-url URL        NATS server(s), comma separated (env NATS_URL, default ${DEFAULT_NATS_URL})
                        as NATS_USER/NATS_PASSWORD (the operator; unset: the local platform's)
  -h, --help            this text
`;

function usageError(message: string): never {
  process.stderr.write(`replay: ${message}\n\n${USAGE}`);
  process.exit(1);
}

interface Settings {
  stream: string;
  consumer: string;
  from: ReplayStart;
  force: boolean;
  natsUrl: string;
}

function parse(argv: string[]): Settings {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        stream: { type: 'string' },
        consumer: { type: 'string' },
        'from-seq': { type: 'string' },
        since: { type: 'string' },
        force: { type: 'boolean' },
        'nats-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (!values.stream) usageError('--stream is required');
  if (!/^[A-Za-z0-9_-]+$/.test(values.stream)) usageError(`invalid stream name ${JSON.stringify(values.stream)}`);
  if (!values.consumer) usageError('--consumer is required');
  try {
    validateConsumerName(values.consumer);
  } catch (error) {
    usageError((error as Error).message);
  }
  const fromSeq = values['from-seq'];
  const since = values.since;
  if ((fromSeq === undefined) === (since === undefined)) usageError('exactly one of --from-seq N or --since ISO-TIME is required');
  let from: ReplayStart;
  if (fromSeq !== undefined) {
    if (!/^\d+$/.test(fromSeq) || Number(fromSeq) < 1 || !Number.isSafeInteger(Number(fromSeq))) {
      usageError(`--from-seq must be a positive integer, got ${JSON.stringify(fromSeq)}`);
    }
    from = { seq: Number(fromSeq) };
  } else {
    // A date without a zone would silently mean local time: require one.
    const time = new Date(since!);
    if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(since!) || Number.isNaN(time.getTime())) {
      usageError(`--since must be an ISO 8601 time with a zone, e.g. 2025-01-31T12:00:00Z; got ${JSON.stringify(since)}`);
    }
    if (time.getTime() > Date.now()) usageError(`--since ${since} is in the future`);
    from = { time };
  }
  return {
    stream: values.stream,
    consumer: values.consumer,
    from,
    force: Boolean(values.force),
    natsUrl: values['nats-url'] || process.env.NATS_URL || DEFAULT_NATS_URL,
  };
}

async function main(): Promise<void> {
  const settings = parse(process.argv.slice(2));
  const connection = await connectOperations(cliNatsSettings(settings.natsUrl, 'operator'), 'replay-cli');
  try {
    const { before, after, warnings } = await replayConsumer(connection, {
      stream: settings.stream,
      consumer: settings.consumer,
      from: settings.from,
      force: settings.force,
    });
    const start = 'seq' in settings.from ? `stream seq ${settings.from.seq}` : settings.from.time.toISOString();
    process.stdout.write(
      [
        `replayed ${settings.stream} > ${settings.consumer} from ${start}`,
        `  before: ${formatConsumerState(before)}`,
        `  after:  ${formatConsumerState(after)}`,
        `${after.num_pending} message(s) will be redelivered; those already in processed_events are acknowledged without effect.`,
        `A running ${settings.consumer.split('--')[0]} service resumes on the re-created consumer by itself (within a second or two).`,
        ...warnings.map((w) => `warning: ${w}`),
        '',
      ].join('\n'),
    );
  } finally {
    await connection.close().catch(() => {});
  }
}

main().catch((error: unknown) => {
  const message = error instanceof OperationError ? error.message : `unexpected error: ${(error as Error)?.stack ?? String(error)}`;
  process.stderr.write(`replay: ${message}\n`);
  process.exit(1);
});
