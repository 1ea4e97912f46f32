import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { authorizationConfig } from '@platform/devstack/nats-auth';

/**
 * Writes the NATS users' `authorization` block (rendered from the contracts) where nats-server
 * includes it: beside deploy/k8s's nats.conf and deploy/compose/nats.conf.
 * `deploy/test/nats-auth.test.ts` fails while a copy differs; run this to rewrite them:
 * `pnpm nats:authorization`.
 */
const root = join(import.meta.dirname, '..');

/** The folder under deploy/k8s holding nats.conf (found, so a move of the manifests needs no edit here). */
export function k8sNatsDir(dir = join(root, 'deploy/k8s')): string {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry === 'nats.conf') found.push(at);
    }
  };
  walk(dir);
  if (found.length !== 1) throw new Error(`expected one nats.conf under deploy/k8s, found ${found.length}`);
  return found[0]!;
}

/** Every checked-in copy of the authorization block, relative to the repository root. */
export function authorizationFiles(): string[] {
  return [join(k8sNatsDir(), 'authorization.conf'), join(root, 'deploy/compose/nats-authorization.conf')].map((path) => relative(root, path));
}

function readRepoFile(path: string): string {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return '';
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const wanted = authorizationConfig();
  for (const path of authorizationFiles()) {
    if (readRepoFile(path) === wanted) console.log(`${path}: up to date`);
    else {
      writeFileSync(join(root, path), wanted);
      console.log(`${path}: rewritten from the contracts`);
    }
  }
}
