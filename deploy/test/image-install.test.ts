/**
 * The Dockerfile's build stage, run for real without Docker: its COPY and RUN instructions are
 * replayed in order (taken from the Dockerfile, so the two cannot drift) in a scratch copy of
 * the repository, with a fresh pnpm metadata cache and, after `pnpm fetch`, an unreachable
 * registry: every later step must work offline from the store the fetch filled.
 * Then the deployed tree (/deploy) must hold exactly the lockfile's production closure of the
 * app, package by package and version by version, and the runtime tree (/runtime) exactly that
 * closure without the migration tooling, with no tests and every import of the bundle installed.
 *
 * The tools target (IMAGE_TEST_APPS=tools) is replayed the same way: its /tools tree must hold
 * one executable per operator command that runs with no node_modules at all.
 *
 * Opt-in, about 40 s per app: IMAGE_TEST_APPS=gateway,orders (the one without and one with
 * Prisma), or IMAGE_TEST_APPS=all for every APP and the tools; without it the file only reports it skipped. The store is the machine's pnpm store
 * (the fetch then downloads only what is missing); IMAGE_TEST_FRESH_STORE=1 starts from an
 * empty store, as a Docker build does (about 600 MB downloaded).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { operatorCommands } from '../../packages/devstack/tsup.config';
import { chain, substitute } from './dockerfile';
import { repoRoot, SERVICES } from './platform';

const ALL_APPS = [...SERVICES.map((s) => s.name), 'simulators'];
// About 40 s per app on 2 cores (most of it pnpm startup and the fetch): opt-in, so the unit
// run stays fast; deploy/test/dockerfile.test.ts checks the recipe on every run.
const SELECTED = process.env.IMAGE_TEST_APPS === 'all' ? [...ALL_APPS, 'tools'] : (process.env.IMAGE_TEST_APPS?.split(',').filter(Boolean) ?? []);
const APPS = SELECTED.filter((app) => app !== 'tools');
const TOOLS = SELECTED.includes('tools');
/** Dropped from the runtime tree by scripts/prune-deploy.mjs (the RUN line names them too). */
const MIGRATION_TOOLING = ['prisma', 'typescript'];
const NEVER_AT_RUNTIME = [...MIGRATION_TOOLING, 'tsup', 'turbo', 'esbuild', 'pnpm', 'vitest', 'tsx', '@platform/test-support', '@platform/devstack'];

// ---- the lockfile's view -------------------------------------------------------------------

interface LockDeps {
  dependencies?: Record<string, { version: string } | string>;
  optionalDependencies?: Record<string, { version: string } | string>;
}
interface Lockfile {
  importers: Record<string, LockDeps>;
  packages: Record<string, { os?: string[]; cpu?: string[]; libc?: string[]; peerDependencies?: Record<string, string> }>;
  snapshots: Record<string, LockDeps>;
}

const lockfile = parse(readFileSync(join(repoRoot, 'pnpm-lock.yaml'), 'utf8')) as Lockfile;
const versionOf = (entry: { version: string } | string) => (typeof entry === 'string' ? entry : entry.version);

const platformOk = (allowed: string[] | undefined, actual: string) =>
  !allowed || (allowed.some((a) => a === actual) && !allowed.includes(`!${actual}`)) || (allowed.every((a) => a.startsWith('!')) && !allowed.includes(`!${actual}`));
const installable = (key: string) => {
  const meta = lockfile.packages[key] ?? {};
  return platformOk(meta.os, process.platform) && platformOk(meta.cpu, process.arch) && platformOk(meta.libc, 'glibc');
};

/**
 * name@version of every package the lockfile installs for `importer` in production
 * (dependencies and optionalDependencies, transitively; workspace links followed). An edge to
 * a name in `cut` is skipped where it is the parent's peer or optional dependency.
 */
function lockfileClosure(importer: string, cut: string[] = []): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const walk = (deps: LockDeps, from: { importer?: string; key?: string }) => {
    const peers = from.key ? (lockfile.packages[from.key.replace(/\(.*$/, '')]?.peerDependencies ?? {}) : {};
    for (const [kind, map] of [['dep', deps.dependencies], ['optional', deps.optionalDependencies]] as const) {
      for (const [alias, entry] of Object.entries(map ?? {})) {
        const version = versionOf(entry);
        if (cut.includes(alias) && (kind === 'optional' || alias in peers)) continue;
        if (version.startsWith('link:')) {
          const target = normalize(join(from.importer ?? '', version.slice(5))).replace(/\/$/, '');
          const pkg = JSON.parse(readFileSync(join(repoRoot, target, 'package.json'), 'utf8')) as { name: string; version: string };
          out.add(`${pkg.name}@${pkg.version}`);
          if (!seen.has(`importer:${target}`)) {
            seen.add(`importer:${target}`);
            const { dependencies, optionalDependencies } = lockfile.importers[target]!;
            walk({ dependencies, optionalDependencies }, { importer: target });
          }
          continue;
        }
        // "1.2.3(peer@4)" or an alias "real-name@1.2.3".
        const aliased = /^(@?[^@(]+)@(.+)$/.exec(version);
        const name = aliased ? aliased[1]! : alias;
        const snapshotKey = `${name}@${aliased ? aliased[2]! : version}`;
        const packageKey = snapshotKey.replace(/\(.*$/, '');
        if (!installable(packageKey)) continue;
        out.add(packageKey);
        if (seen.has(snapshotKey)) continue;
        seen.add(snapshotKey);
        walk(lockfile.snapshots[snapshotKey] ?? {}, { key: snapshotKey });
      }
    }
  };
  const { dependencies, optionalDependencies } = lockfile.importers[importer]!;
  walk({ dependencies, optionalDependencies }, { importer });
  return out;
}

// ---- the installed tree --------------------------------------------------------------------

/** name@version of every package folder under dir/node_modules (scoped and nested included). */
function installedTree(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const folders = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((s) => join(modules, entry, s)) : [join(modules, entry)];
      for (const folder of folders) {
        if (!existsSync(join(folder, 'package.json'))) continue;
        const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name: string; version: string };
        out.add(`${pkg.name}@${pkg.version}`);
        walk(join(folder, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return out;
}

const names = (tree: Set<string>) => new Set([...tree].map((p) => p.replace(/(.)@[^@]*$/, '$1')));
const difference = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

/** Files tracked or new (not ignored): the build context, as `COPY . .` would see it. */
function contextFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8' });
  return [...new Set(listed.split('\0'))].filter((p) => p !== '' && existsSync(join(repoRoot, p)));
}

// ---- the replay ----------------------------------------------------------------------------

interface Built {
  repo: string;
  deploy: string;
  runtime: string;
  tools: string;
  log: string[];
}

/**
 * Replays `target` and the stages it is built from (workspace first) with APP=`app`; returns
 * where /repo, /deploy, /runtime and /tools ended up.
 */
function replayBuildStage(target: 'build' | 'tools-build', app: string, scratch: string): Built {
  const repo = join(scratch, 'repo');
  const deploy = join(scratch, 'deploy');
  const runtime = join(scratch, 'runtime');
  const tools = join(scratch, 'tools');
  mkdirSync(repo, { recursive: true });
  const stages = chain(target);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    APP: app,
    // No metadata cached from earlier installs: an offline resolution fails as in a fresh image.
    npm_config_cache_dir: join(scratch, 'cache'),
    npm_config_store_dir: process.env.IMAGE_TEST_FRESH_STORE === '1' ? join(scratch, 'store') : execFileSync('pnpm', ['store', 'path'], { cwd: repoRoot, encoding: 'utf8' }).trim(),
    CI: '1',
  };
  const log: string[] = [];
  const files = contextFiles();
  for (const { ins, args } of stages.flatMap((stage) => stage.instructions.map((ins) => ({ ins, args: { ...stage.args, APP: app } })))) {
    const text = substitute(ins.args, args);
    if (ins.keyword === 'COPY') {
      if (text.startsWith('--from')) throw new Error(`unexpected COPY in the build stage: ${text}`);
      const parts = text.split(/\s+/);
      const sources = parts.slice(0, -1);
      for (const file of sources[0] === '.' ? files : sources) {
        mkdirSync(dirname(join(repo, file)), { recursive: true });
        cpSync(join(repoRoot, file), join(repo, file));
      }
    } else if (ins.keyword === 'ENV') {
      for (const m of text.matchAll(/(\w+)=(\S*)/g)) env[m[1]!] = m[2]!;
    } else if (ins.keyword === 'RUN') {
      const pnpmInstall = /^npm i -g pnpm@(\S+)$/.exec(text);
      if (pnpmInstall) {
        expect(execFileSync('pnpm', ['--version'], { encoding: 'utf8' }).trim()).toBe(pnpmInstall[1]);
        continue;
      }
      const scratchDirs: Record<string, string> = { deploy, runtime, tools };
      const command = text.replace(/(^|[\s"])\/(deploy|runtime|tools)(?=$|[\s/"])/g, (_all, before: string, dir: string) => `${before}${scratchDirs[dir]}`);
      const started = Date.now();
      const result = spawnSync('sh', ['-c', command], { cwd: repo, env, encoding: 'utf8' });
      log.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${text.slice(0, 100)}`);
      if (result.status !== 0) throw new Error(`RUN ${text}\nexit ${result.status}\n${result.stdout}\n${result.stderr}`);
      // Only the fetch may use the network: from here on the registry is unreachable.
      if (text === 'pnpm fetch') env.npm_config_registry = 'http://127.0.0.1:9/';
    }
  }
  return { repo, deploy, runtime, tools, log };
}

const scratches: string[] = [];
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
}, 120_000);

it.skipIf(SELECTED.length > 0)('runs the build stage only with IMAGE_TEST_APPS set (e.g. gateway,orders,tools or all)', () => {});

describe.each(APPS)('Dockerfile build stage, replayed for APP=%s', (app) => {
  let built: Built | undefined;
  const importer = app === 'simulators' ? 'packages/simulators' : `apps/${app}`;
  const build = () => {
    if (!built) {
      const scratch = mkdtempSync(join(tmpdir(), `image-${app}-`));
      scratches.push(scratch);
      built = replayBuildStage('build', app, scratch);
    }
    return built;
  };

  it('runs every step, offline after pnpm fetch, from an empty metadata cache', { timeout: 240_000 }, () => {
    const { log } = build();
    expect(log.some((l) => / pnpm fetch$/.test(l))).toBe(true);
    console.info(`APP=${app} build stage:\n  ${log.join('\n  ')}`);
  });

  it('deploys exactly the production closure the lockfile gives the app (names and versions)', { timeout: 240_000 }, () => {
    const { deploy } = build();
    const expected = lockfileClosure(importer);
    const installed = installedTree(deploy);
    expect({ missing: difference(expected, installed), unexpected: difference(installed, expected) }).toEqual({ missing: [], unexpected: [] });
  });

  it('leaves in the runtime tree that closure without the migration tooling, and no build tools', { timeout: 240_000 }, () => {
    const { runtime } = build();
    const expected = lockfileClosure(importer, MIGRATION_TOOLING);
    const installed = installedTree(runtime);
    expect({ missing: difference(expected, installed), unexpected: difference(installed, expected) }).toEqual({ missing: [], unexpected: [] });
    const present = names(installed);
    expect(NEVER_AT_RUNTIME.filter((n) => present.has(n))).toEqual([]);
    expect(existsSync(join(runtime, 'node_modules', '.bin', 'tsc'))).toBe(false);
    expect(existsSync(join(runtime, 'node_modules', '.bin', 'prisma'))).toBe(false);
  });

  it('has the bundle and no sources or tests of ours in the runtime tree', { timeout: 240_000 }, () => {
    const { runtime } = build();
    expect(existsSync(join(runtime, 'dist', 'main.js'))).toBe(true);
    for (const gone of ['src', 'test', 'tsconfig.json', 'pnpm-lock.yaml']) expect(existsSync(join(runtime, gone)), gone).toBe(false);
    const ours = [runtime, ...readdirSync(join(runtime, 'node_modules', '@platform')).map((p) => join(runtime, 'node_modules', '@platform', p))];
    const tests = ours.flatMap((dir) =>
      (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter(
        (f) => !f.startsWith('node_modules') && (/(^|\/)(test|__tests__)(\/|$)/.test(f) || /\.test\.[cm]?[jt]sx?$/.test(f)),
      ),
    );
    expect(tests).toEqual([]);
  });

  it('installs every package the bundle imports statically', { timeout: 240_000 }, () => {
    const { runtime } = build();
    const bundle = readFileSync(join(runtime, 'dist', 'main.js'), 'utf8');
    const specifiers = new Set(
      // esbuild hoists the external static imports to the top of the module.
      [...bundle.matchAll(/^import\s+(?:[^'";]*?\sfrom\s*)?["']([^"'./][^"']*)["'];?$/gm)]
        .map((m) => m[1]!)
        .filter((s) => !s.startsWith('node:')),
    );
    const packageName = (s: string) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/');
    const builtins = new Set(execFileSync('node', ['-p', 'require("node:module").builtinModules.join(",")'], { encoding: 'utf8' }).trim().split(','));
    const missing = [...specifiers]
      .map(packageName)
      .filter((name) => !builtins.has(name) && !existsSync(join(runtime, 'node_modules', name, 'package.json')));
    expect(specifiers.size).toBeGreaterThan(0);
    expect([...new Set(missing)]).toEqual([]);
  });
});

// Registered only when selected, like the apps above (nothing reported as skipped).
if (TOOLS) describe('Dockerfile tools-build stage, replayed', () => {
  let built: Built | undefined;
  const build = () => {
    if (!built) {
      const scratch = mkdtempSync(join(tmpdir(), 'image-tools-'));
      scratches.push(scratch);
      built = replayBuildStage('tools-build', '', scratch);
    }
    return built;
  };
  /** Runs bin/<command> as the image would: from outside the repository, no node_modules anywhere above. */
  const run = (command: string, args: string[]) =>
    spawnSync(join(build().tools, 'bin', command), args, { cwd: tmpdir(), encoding: 'utf8', env: { PATH: process.env.PATH!, NODE_OPTIONS: '--enable-source-maps' } });

  it('runs every step, offline after pnpm fetch', { timeout: 240_000 }, () => {
    const { log } = build();
    expect(log.some((l) => / pnpm fetch$/.test(l))).toBe(true);
    console.info(`tools-build stage:\n  ${log.join('\n  ')}`);
  });

  it('links one executable per operator command into bin/', { timeout: 240_000 }, () => {
    expect(readdirSync(join(build().tools, 'bin')).sort()).toEqual(operatorCommands());
  });

  it.each(operatorCommands())('bin/%s prints its usage without any node_modules', { timeout: 240_000 }, (command) => {
    const result = run(command, ['--help']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage:/);
  });

  it('bundles every package: the bundles import nothing but Node built-ins', { timeout: 240_000 }, () => {
    const builtins = new Set(execFileSync('node', ['-p', 'require("node:module").builtinModules.join(",")'], { encoding: 'utf8' }).trim().split(','));
    for (const command of operatorCommands()) {
      const bundle = readFileSync(join(build().tools, 'dist', `${command}.js`), 'utf8');
      const imported = [...bundle.matchAll(/^import\s+(?:[^'";]*?\sfrom\s*)?["']([^"']+)["'];?$/gm)].map((m) => m[1]!.replace(/^node:/, ''));
      expect(imported.filter((name) => !builtins.has(name)), command).toEqual([]);
    }
  });

  it('connects through the runtime\'s NATS client: an unreachable server is reported, not a crash', { timeout: 240_000 }, () => {
    const result = run('dead-letters', ['list', '--nats-url', 'nats://127.0.0.1:9']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^dead-letters: cannot reach NATS at nats:\/\/127\.0\.0\.1:9/);
  });
});
