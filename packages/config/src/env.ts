import { z } from 'zod';
import { invalidCidr } from './trusted-proxies';

/** Connections per service process unless `DATABASE_POOL_SIZE` says otherwise. */
export const DEFAULT_DATABASE_POOL_SIZE = 10;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
/** Comma-separated IP addresses and CIDR ranges (`10.0.0.0/8, ::1`). */
const cidrList = z
  .string()
  .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
  .superRefine((entries, context) => {
    const problem = invalidCidr(entries);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const optionalText = z.string().min(1).optional();

/**
 * How a process reaches NATS (docs/nats-security.md): servers comma separated, its user
 * (unset: no authentication) and, where the server offers TLS, the CA to verify it with
 * (plus a client certificate and key when the server asks for one).
 */
export const natsClientEnv = z.object({
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  NATS_USER: optionalText,
  NATS_PASSWORD: optionalText,
  NATS_TLS_CA_FILE: optionalText,
  NATS_TLS_CERT_FILE: optionalText,
  NATS_TLS_KEY_FILE: optionalText,
});
export type NatsClientEnv = z.infer<typeof natsClientEnv>;

/** Variables every service reads. */
export const serviceEnv = z.object({
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...natsClientEnv.shape,
  /** How long a consumer waits for a handler's ack before JetStream redelivers (a crashed handler's message). */
  CONSUMER_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** A handler's own failures on one message before the consumer dead-letters it (tests lower it to see dead letters at once). */
  CONSUMER_MAX_DELIVER: z.coerce.number().int().min(1).default(8),
  /**
   * At shutdown, how long readiness reports 503 before the server stops accepting: time for
   * load balancers to notice. 0 locally; a few seconds behind Kubernetes Services.
   */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).default(0),
  /** Test-only fault injection: the process SIGKILLs itself at the named point (see crashpoint.ts). */
  PLATFORM_CRASH_AT: z.string().optional(),
  /** HTTP requests handled at once; default the database pool size (see http.ts, admission.ts). */
  HTTP_MAX_IN_FLIGHT: positiveInt.optional(),
  /** Requests waiting for a turn beyond those; default twice `HTTP_MAX_IN_FLIGHT`. More are answered 503 at once. */
  HTTP_MAX_QUEUE: z.coerce.number().int().min(0).optional(),
  /** How long a request waits for a turn before it is answered 503 with Retry-After. */
  HTTP_QUEUE_TIMEOUT_MS: positiveInt.default(1_000),
  /**
   * Callers whose x-request-id, x-correlation-id, traceparent and X-Forwarded-For are believed.
   * Unset: every caller (services behind the gateway); the gateway defaults to loopback.
   */
  TRUSTED_PROXIES: cidrList.optional(),
  /** Test-only: expose `POST /_test/clock` so tests move this service's clock instead of sleeping. */
  TEST_CLOCK_CONTROL: z.stringbool().default(false),
});

export const databaseEnv = z.object({
  DATABASE_URL: url(['postgresql:', 'postgres:']),
  /** Connections to the service's database; also the default of `HTTP_MAX_IN_FLIGHT`. */
  DATABASE_POOL_SIZE: positiveInt.default(DEFAULT_DATABASE_POOL_SIZE),
});

export const envHelpers = { port, positiveInt, url, cidrList };

/**
 * Parses the environment against `schema`. Fails with one line per bad variable, named,
 * so start-up stops with a message an operator can act on.
 */
export function loadEnv<S extends z.ZodObject>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const value = source[name];
      if (value === undefined) return `${name} is missing: ${issue.message}`;
      // URLs and secrets may carry credentials: name them without echoing the value.
      const shown = /URL|SECRET|PASSWORD|TOKEN|KEY/.test(name) ? '(value hidden)' : JSON.stringify(value);
      return `${name}=${shown} is invalid: ${issue.message}`;
    }),
  );
}

/** `loadEnv` for a process entry point: prints the named problems and exits 1 instead of a stack trace. */
export function loadEnvOrExit<S extends z.ZodObject>(schema: S): z.infer<S> {
  try {
    return loadEnv(schema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
