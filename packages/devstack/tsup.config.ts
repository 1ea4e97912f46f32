import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// Type-only import: the config loads without resolving `tsup` from this package (it is the root's).
import type { Options } from 'tsup';
import service from '../../tsup.service.config';

/** Commands of src/cli that drive the local stack (embedded PostgreSQL, local processes): not for a cluster. */
export const LOCAL_ONLY_COMMANDS = ['platform', 'bench', 'overload', 'chaos'];
/** Modules of src/cli that are not commands. */
const HELPERS = ['log-format'];

/**
 * The operator commands: every other file of src/cli (replay, dead-letters, provision-nats, ...),
 * so a new command reaches the tools image (Dockerfile target `tools`) without a list to update.
 */
export const operatorCommands = (): string[] =>
  readdirSync(fileURLToPath(new URL('src/cli', import.meta.url)))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .filter((name) => !LOCAL_ONLY_COMMANDS.includes(name) && !HELPERS.includes(name))
    .sort();

// dist/<command>.js per operator command for the tools image: the services' recipe, but with
// every npm package bundled in too, so the image needs no node_modules (and none of the
// devstack's local-stack dependencies such as embedded PostgreSQL). The shebang makes each
// bundle executable (the image links them into its PATH).
export default {
  ...service,
  entry: Object.fromEntries(operatorCommands().map((name) => [name, `src/cli/${name}.ts`])),
  noExternal: [/./],
  banner: { js: `#!/usr/bin/env node\n${service.banner.js}` },
} satisfies Options;
