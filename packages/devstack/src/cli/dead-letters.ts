/**
 * `pnpm dead-letters`: list, retry or purge the messages consumers gave up on (stream
 * DEAD_LETTERS, subject `deadletter.<consumer>`). The work is in `../operations.ts`.
 */
import { parseArgs } from 'node:util';
import {
  connectOperations,
  DEAD_LETTER_STREAM,
  type DeadLetterOutcome,
  type DeadLetterSelection,
  DEFAULT_NATS_URL,
  formatDeadLetter,
  formatOutcome,
  listDeadLetters,
  OperationError,
  purgeDeadLetters,
  retryDeadLetters,
  validateConsumerName,
} from '../operations';
import { cliNatsSettings } from '../nats-auth';

const DEFAULT_LIMIT = 100;

const USAGE = `Usage:
  pnpm dead-letters list  [--consumer NAME] [--limit N]
  pnpm dead-letters retry (--seq N | --all) [--consumer NAME]
  pnpm dead-letters purge (--seq N | --all) [--consumer NAME]

A consumer dead-letters a message it cannot handle (not JSON, unknown type/version, invalid
data, or a handler that failed on every one of its deliveries) to subject
deadletter.<consumer> on stream ${DEAD_LETTER_STREAM} (kept 30 days), with the reason and the
original stream, subject and sequence in headers, then moves on.

Commands:
  list    one line per dead letter, oldest first: seq, time, consumer, original subject
          (stream #sequence), deliveries, reason.
  retry   republishes each selected dead letter's original data to its original subject with
          its original headers and a new message id retry:<seq> (the original id would be
          dropped by the stream's 2-hour duplicate window), then deletes the dead letter.
          Fix the cause first (deploy the fix, repair the data); a message that is still
          unusable is dead-lettered again under a new seq.
          The event goes back onto its stream, so EVERY consumer of that subject sees it
          again, not only the one that failed. That is safe: consumers that already applied
          it find it in their processed_events table and acknowledge it without effect, so
          only the consumer that failed applies it, once.
  purge   deletes the selected dead letters without retrying them (e.g. malformed messages).

Options:
  --consumer NAME   only dead letters of this durable consumer (e.g. notifications--order-confirmation)
  --seq N           the dead letter with this seq (as printed by list)
  --all             every dead letter (of --consumer, when given)
  --limit N         list at most N, oldest first (default ${DEFAULT_LIMIT})
  --nats-url URL    NATS server(s), comma separated (env NATS_URL, default ${DEFAULT_NATS_URL})
                    as NATS_USER/NATS_PASSWORD (the operator; unset: the local platform's)
  -h, --help        this text

Exit status 1 on bad arguments, unreachable NATS, or when any selected dead letter failed.
`;

function usageError(message: string): never {
  process.stderr.write(`dead-letters: ${message}\n\n${USAGE}`);
  process.exit(1);
}

function positiveInteger(name: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) usageError(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

type Command =
  | { name: 'list'; consumer?: string; limit: number; natsUrl: string }
  | { name: 'retry' | 'purge'; selection: DeadLetterSelection; natsUrl: string };

function parse(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        consumer: { type: 'string' },
        limit: { type: 'string' },
        seq: { type: 'string' },
        all: { type: 'boolean' },
        'nats-url': { type: 'string' },
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
  if (positionals.length !== 1) usageError(positionals.length === 0 ? 'a command is required' : `unexpected arguments: ${positionals.slice(1).join(' ')}`);
  const name = positionals[0];
  const natsUrl = values['nats-url'] || process.env.NATS_URL || DEFAULT_NATS_URL;
  let consumer: string | undefined;
  if (values.consumer !== undefined) {
    try {
      consumer = validateConsumerName(values.consumer);
    } catch (error) {
      usageError((error as Error).message);
    }
  }
  switch (name) {
    case 'list': {
      if (values.seq !== undefined || values.all) usageError('list takes --consumer and --limit, not --seq/--all');
      const limit = values.limit === undefined ? DEFAULT_LIMIT : positiveInteger('limit', values.limit);
      return { name, consumer, limit, natsUrl };
    }
    case 'retry':
    case 'purge': {
      if (values.limit !== undefined) usageError(`${name} does not take --limit`);
      if ((values.seq !== undefined) === Boolean(values.all)) usageError(`${name} needs exactly one of --seq N or --all`);
      const selection: DeadLetterSelection =
        values.seq !== undefined ? { seq: positiveInteger('seq', values.seq), consumer } : { all: true, consumer };
      return { name, selection, natsUrl };
    }
    default:
      usageError(`unknown command ${JSON.stringify(name)}`);
  }
}

function report(outcomes: DeadLetterOutcome[], verb: string, scope: string): boolean {
  if (outcomes.length === 0) {
    process.stdout.write(`no dead letters${scope}; nothing ${verb}\n`);
    return true;
  }
  for (const outcome of outcomes) process.stdout.write(`${formatOutcome(outcome)}\n`);
  const failed = outcomes.filter((o) => o.action === 'failed').length;
  process.stdout.write(`${outcomes.length - failed} ${verb}, ${failed} failed\n`);
  return failed === 0;
}

async function main(): Promise<void> {
  const command = parse(process.argv.slice(2));
  const connection = await connectOperations(cliNatsSettings(command.natsUrl, 'operator'), 'dead-letters-cli');
  let ok = true;
  try {
    if (command.name === 'list') {
      const { total, letters } = await listDeadLetters(connection, { consumer: command.consumer, limit: command.limit });
      const scope = command.consumer ? ` of consumer ${command.consumer}` : '';
      for (const letter of letters) process.stdout.write(`${formatDeadLetter(letter)}\n`);
      if (total === 0) process.stdout.write(`no dead letters${scope}\n`);
      else if (letters.length < total) process.stdout.write(`${letters.length} of ${total} dead letters${scope} shown (oldest first); raise --limit to see more\n`);
      else process.stdout.write(`${total} dead letter${total === 1 ? '' : 's'}${scope}\n`);
    } else {
      const consumer = command.selection.consumer;
      const scope = consumer ? ` of consumer ${consumer}` : '';
      const outcomes =
        command.name === 'retry' ? await retryDeadLetters(connection, command.selection) : await purgeDeadLetters(connection, command.selection);
      ok = report(outcomes, command.name === 'retry' ? 'retried' : 'purged', scope);
    }
  } finally {
    await connection.close().catch(() => {});
  }
  if (!ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  const message = error instanceof OperationError ? error.message : `unexpected error: ${(error as Error)?.stack ?? String(error)}`;
  process.stderr.write(`dead-letters: ${message}\n`);
  process.exit(1);
});
