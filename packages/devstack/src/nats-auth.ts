/**
 * NATS users for nats-server: the `authorization` block rendered from the permissions the
 * contracts derive (`@platform/contracts/nats-users`), the local stack's passwords, and the
 * settings the ops CLIs connect with. docs/nats-security.md.
 */
import { NATS_USERS, natsPermissions, type NatsUser, passwordVariable } from '@platform/contracts/nats-users';
import type { NatsClientEnv } from '@platform/runtime/nats';

/** Regenerates the checked-in copies (deploy/k8s/base/nats, deploy/compose); a test fails while they differ. */
export const AUTHORIZATION_COMMAND = 'pnpm nats:authorization';

/**
 * nats-server's `authorization { users: [...] }` for every user, each password a reference to
 * an environment variable of the server (`$ORDERS_NATS_PASSWORD`), so the file holds no secret.
 */
export function authorizationConfig(): string {
  const permissions = natsPermissions();
  // One subject a line: a reviewer reads a change to a user's permissions in the diff.
  const list = (key: string, subjects: readonly string[]) => [`          ${key}: [`, ...subjects.map((subject) => `            ${JSON.stringify(subject)}`), '          ]'];
  const users = NATS_USERS.map((user) => {
    const { publish, subscribe } = permissions[user];
    return [
      '    {',
      `      user: ${user}`,
      `      password: $${passwordVariable(user)}`,
      '      permissions: {',
      '        publish: {',
      ...list('allow', publish.allow),
      ...(publish.deny ? list('deny', publish.deny) : []),
      '        }',
      '        subscribe: {',
      ...list('allow', subscribe.allow),
      '        }',
      '      }',
      '    }',
    ].join('\n');
  });
  return [
    `# Generated from packages/contracts (streams.ts, consumers.ts, nats-users.ts) by \`${AUTHORIZATION_COMMAND}\`: do not edit.`,
    '# Passwords come from the server\'s environment; see docs/nats-security.md.',
    'authorization {',
    '  users: [',
    users.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/**
 * The local stack's passwords (`npm start`, tests, docker compose): fixed and public, like the
 * gateway's development keys, so the ops CLIs work against it without setup. Never deployed.
 */
export function localNatsPassword(user: NatsUser): string {
  return `local-${user}-nats-password`;
}

/** The variables nats-server resolves the passwords from: `ORDERS_NATS_PASSWORD=…` for every user. */
export function natsPasswordEnv(password: (user: NatsUser) => string = localNatsPassword): Record<string, string> {
  return Object.fromEntries(NATS_USERS.map((user) => [passwordVariable(user), password(user)]));
}

/** A user's client settings for the local stack's NATS at `url`. */
export function localNatsUser(user: NatsUser, url: string): NatsClientEnv {
  return { NATS_URL: url, NATS_USER: user, NATS_PASSWORD: localNatsPassword(user) };
}

/**
 * What an ops CLI connects with: NATS_USER, NATS_PASSWORD and NATS_TLS_* from the environment,
 * or, without NATS_USER, `fallbackUser` with the local stack's password (the CLIs' default target).
 */
export function cliNatsSettings(url: string, fallbackUser: 'operator' | 'provisioner', env: NodeJS.ProcessEnv = process.env): NatsClientEnv {
  const tls = { NATS_TLS_CA_FILE: env.NATS_TLS_CA_FILE, NATS_TLS_CERT_FILE: env.NATS_TLS_CERT_FILE, NATS_TLS_KEY_FILE: env.NATS_TLS_KEY_FILE };
  if (!env.NATS_USER) return { ...localNatsUser(fallbackUser, url), ...tls };
  return { NATS_URL: url, NATS_USER: env.NATS_USER, NATS_PASSWORD: env.NATS_PASSWORD, ...tls };
}
