/**
 * The root Dockerfile cannot be built here (no Docker engine). This test parses it into
 * stages and instructions and checks the recipe: one Node version with development and CI,
 * build steps from the lockfile, a runtime stage without build tools, tests or migration
 * tooling, and a separate migrate target. deploy/test/image-install.test.ts runs the build
 * stage's pnpm steps for real.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chain, dockerfile, type Instruction, runs, type Stage, stageNamed } from './dockerfile';
import toolsBundle, { LOCAL_ONLY_COMMANDS, operatorCommands } from '../../packages/devstack/tsup.config';
import { readRepoFile, SERVICES } from './platform';

const runtime = dockerfile.stages.at(-1)!;
const last = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).at(-1);
const jsonArgs = (ins: Instruction | undefined): string[] => JSON.parse(ins?.args ?? 'null') as string[];

describe('Dockerfile: build', () => {
  it('builds every stage on the Node major of .nvmrc (development and CI), slim Debian', () => {
    const major = readRepoFile('.nvmrc').trim();
    expect(major).toMatch(/^\d+$/);
    const stageNames = new Set(dockerfile.stages.map((s) => s.name));
    const bases = dockerfile.stages.map((s) => s.from).filter((from) => !stageNames.has(from));
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toBe(`node:${major}-bookworm-slim`);
  });

  // Development and CI may run a newer Node than .nvmrc (the quickstart promises Node 20.19+); .nvmrc
  // names the version the images and `nvm use` take.
  it('pins a Node major that package.json engines allows', () => {
    const major = Number(readRepoFile('.nvmrc').trim());
    const engines = (JSON.parse(readRepoFile('package.json')) as { engines: { node: string } }).engines.node;
    const minimum = /^>=(\d+)\.(\d+)/.exec(engines);
    expect(minimum).not.toBeNull();
    expect(major).toBeGreaterThanOrEqual(Number(minimum![1]));
  });

  it('installs the pnpm version pinned in package.json', () => {
    const packageManager = (JSON.parse(readRepoFile('package.json')) as { packageManager: string }).packageManager;
    expect(packageManager).toMatch(/^pnpm@/);
    expect(runs(stageNamed('workspace'))).toContain(`npm i -g ${packageManager}`);
    // Every pnpm build starts from that stage.
    expect(chain('build')[0]?.name).toBe('workspace');
    expect(chain('tools-build')[0]?.name).toBe('workspace');
  });

  it('accepts exactly the six services and the provider simulators as APP', () => {
    const check = runs(stageNamed('build')).find((r) => r.startsWith('case "${APP}" in'));
    const listed = /in\s+([\w|]+)\)/.exec(check ?? '')?.[1]?.split('|');
    expect(listed?.sort()).toEqual([...SERVICES.map((s) => s.name), 'simulators'].sort());
  });

  it('copies the bundle from the package folder pnpm reports (apps/<service> or packages/simulators)', () => {
    const step = runs(stageNamed('build')).find((r) => r.includes('prune-deploy.mjs /runtime')) ?? '';
    expect(step).toMatch(/app_dir="\$\(pnpm --filter "@platform\/\$\{APP\}" exec pwd\)"/);
    expect(step).toContain('cp -r "${app_dir}/dist" /runtime/dist');
  });

  it('fetches from the lockfile alone, then installs, generates, builds and deploys offline', () => {
    const build = chain('build');
    const steps = build.flatMap(runs);
    const at = (pattern: RegExp) => {
      const index = steps.findIndex((s) => pattern.test(s));
      expect(index, String(pattern)).toBeGreaterThanOrEqual(0);
      return index;
    };
    const fetch = at(/^pnpm fetch$/);
    const install = at(/^pnpm install --frozen-lockfile --offline --filter "@platform\/\$\{APP\}\.\.\."$/);
    const generate = at(/pnpm --filter "@platform\/\$\{APP\}\.\.\." run (--if-present )?generate/);
    const compile = at(/pnpm --filter "@platform\/\$\{APP\}" (run )?build/);
    const deploy = at(/pnpm --filter "@platform\/\$\{APP\}" deploy --prod --offline .*\/deploy$/);
    expect([fetch, install, generate, compile, deploy]).toEqual([...[fetch, install, generate, compile, deploy]].sort((a, b) => a - b));
    // The fetch layer sees the lockfile, the workspace file and .npmrc only.
    const copies = build.flatMap((stage) => stage.instructions).filter((i) => i.keyword === 'COPY' || i.keyword === 'RUN');
    const fetchAt = copies.findIndex((i) => i.args === 'pnpm fetch');
    expect(copies[fetchAt - 1]?.args).toBe('pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./');
    // pnpm 10: the lockfile-based deploy needs injected workspace packages; --legacy re-resolves.
    expect(steps[deploy]).toContain('--config.inject-workspace-packages=true');
    expect(steps[deploy]).toContain('--config.node-linker=hoisted');
    expect(steps.join('\n')).not.toContain('--legacy');
    // After the fetch every pnpm command runs offline or runs a package script.
    for (const step of steps.slice(fetch + 1)) {
      for (const command of step.match(/\bpnpm [^&|;]*/g) ?? []) {
        expect(command, command).toMatch(/--offline| run | exec /);
      }
    }
  });

  it('keeps node_modules, build output and generated clients out of the build context', () => {
    const ignored = readRepoFile('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', '**/dist', '**/src/generated', '.git', '.data']) {
      expect(ignored).toContain(entry);
    }
  });
});

describe('Dockerfile: the simulators image (APP=simulators)', () => {
  const pkg = JSON.parse(readRepoFile('packages/simulators/package.json')) as {
    name: string;
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  const root = JSON.parse(readRepoFile('package.json')) as { devDependencies?: Record<string, string> };

  it('builds @platform/simulators with tsup (the root devDependency) from its own config', () => {
    expect(pkg.name).toBe('@platform/simulators');
    expect(pkg.scripts?.build).toMatch(/^tsup\b/);
    expect(root.devDependencies?.tsup).toBeDefined();
    const config = readRepoFile('packages/simulators/tsup.config.ts');
    expect(config).toContain("serve: 'src/cli/serve.ts'");
    expect(config).toContain('../../tsup.service.config');
    expect(pkg.scripts?.start).toBe('node --enable-source-maps dist/serve.js');
  });

  it('starts the simulators CLI bundle through the shared CMD (dist/main.js links to dist/serve.js)', () => {
    const step = runs(stageNamed('build')).find((r) => r.includes('prune-deploy.mjs /runtime')) ?? '';
    expect(step).toContain('if [ "${APP}" = simulators ]; then ln -s serve.js /runtime/dist/main.js; fi');
    expect(jsonArgs(last(runtime, 'CMD'))).toEqual(['node', '--enable-source-maps', 'dist/main.js']);
  });

  it('has no database: no prisma.config.ts, so no migrate image (the migrate build refuses it)', () => {
    expect(existsSync(new URL('../../packages/simulators/prisma.config.ts', import.meta.url))).toBe(false);
    const prismaStep = runs(stageNamed('migrate-build')).find((r) => r.includes('prisma.config.ts')) ?? '';
    expect(prismaStep).toMatch(/^test -f "apps\/\$\{APP\}\/prisma.config.ts"\s+\|\|\s+\{ echo "APP=\$\{APP\} has no database[^"]*" >&2; exit 1; \}/);
    expect(pkg.dependencies ?? {}).not.toHaveProperty('@prisma/client');
  });
});

describe('Dockerfile: runtime (the default target)', () => {
  it('is the last stage, named runtime, on the bare Node image less its package managers (not on the build stage)', () => {
    expect(runtime.name).toBe('runtime');
    expect(chain('runtime').map((s) => s.name)).toEqual(['node-slim', 'runtime']);
    expect(dockerfile.stages.map((s) => s.name)).not.toContain(stageNamed('node-slim').from);
  });

  it('copies only the pruned runtime tree from the build stage and runs it as a non-root user', () => {
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toEqual(['--from=build /runtime /app']);
    expect(last(runtime, 'WORKDIR')?.args).toBe('/app');
    const user = last(runtime, 'USER')?.args.split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });

  it('starts node directly (PID 1, exec form) with source maps: no entrypoint, no migration on start', () => {
    expect(jsonArgs(last(runtime, 'CMD'))).toEqual(['node', '--enable-source-maps', 'dist/main.js']);
    expect(last(runtime, 'ENTRYPOINT')).toBeUndefined();
    expect(runtime.instructions.map((i) => i.args).join('\n')).not.toMatch(/prisma|MIGRATE_ON_START/);
  });

  it('removes the package managers the Node image ships (npm, npx, corepack, yarn)', () => {
    const removal = runs(stageNamed('node-slim')).find((r) => r.startsWith('rm -rf')) ?? '';
    expect(stageNamed('node-slim').instructions.map((i) => i.keyword)).toEqual(['RUN']);
    for (const path of ['/usr/local/lib/node_modules', '/usr/local/bin/npm', '/usr/local/bin/npx', '/usr/local/bin/corepack', '/usr/local/bin/yarn', '/opt/yarn-*']) {
      expect(removal.split(/\s+/)).toContain(path);
    }
  });

  it('builds the runtime tree without sources, tests, the lockfile and the migration tooling', () => {
    const step = runs(stageNamed('build')).find((r) => r.includes('prune-deploy.mjs /runtime')) ?? '';
    expect(step).toContain('cp -a /deploy /runtime');
    for (const path of ['/runtime/src', '/runtime/test', '/runtime/tsconfig.json', '/runtime/pnpm-lock.yaml']) expect(step.split(/\s+/)).toContain(path);
    expect(step).toMatch(/node scripts\/prune-deploy\.mjs \/runtime prisma typescript$/);
  });
});

describe('Dockerfile: migrate target', () => {
  const migrate = stageNamed('migrate');

  it('is its own stage on the bare Node image, with the prisma CLI and the app\'s migrations only', () => {
    expect(dockerfile.stages.map((s) => s.name)).not.toContain(migrate.from);
    expect(migrate.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual(['--from=migrate-build /migrate /app']);
    const step = runs(stageNamed('migrate-build')).find((r) => r.includes('/migrate')) ?? '';
    expect(step).toContain('node scripts/prune-deploy.mjs /migrate typescript --roots prisma');
    expect(step).toContain('cp -r "apps/${APP}/prisma" "apps/${APP}/prisma.config.ts" /migrate/');
    // The schema engine is downloaded at build time: the Job migrates without network.
    expect(step).toMatch(/node_modules\/\.bin\/prisma --version\)$/);
  });

  it('runs prisma migrate deploy as a non-root user and exits', () => {
    expect(jsonArgs(last(migrate, 'CMD'))).toEqual(['prisma', 'migrate', 'deploy']);
    expect(last(migrate, 'ENV')?.args).toContain('PATH=/app/node_modules/.bin:${PATH}');
    expect(['root', '0']).not.toContain(last(migrate, 'USER')?.args.split(':')[0]);
  });

  it('is not what the runtime stage is built from', () => {
    expect(runtime.instructions.some((i) => i.args.includes('migrate-build') || i.args.includes('/migrate'))).toBe(false);
  });
});

describe('Dockerfile: tools target (the operator commands)', () => {
  const tools = stageNamed('tools');

  it('is built from the workspace without APP, and runs on node-slim with nothing but the bundles', () => {
    expect(chain('tools-build').map((stage) => stage.name)).toEqual(['workspace', 'tools-build']);
    expect(chain('tools').map((stage) => stage.name)).toEqual(['node-slim', 'tools']);
    expect(tools.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual(['--from=tools-build /tools /app']);
    expect(tools.instructions.some((i) => i.keyword === 'ARG')).toBe(false);
    expect(['root', '0']).not.toContain(last(tools, 'USER')?.args.split(':')[0]);
  });

  it('puts the commands on PATH (/app/bin) and keeps source maps on', () => {
    const env = last(tools, 'ENV')?.args ?? '';
    expect(env).toContain('PATH=/app/bin:${PATH}');
    expect(env).toContain('NODE_OPTIONS=--enable-source-maps');
    expect(last(tools, 'WORKDIR')?.args).toBe('/app');
  });

  it('installs @platform/devstack offline, bundles its operator commands and links each into bin/', () => {
    const steps = runs(stageNamed('tools-build'));
    expect(steps[0]).toBe('pnpm install --frozen-lockfile --offline --filter "@platform/devstack..."');
    expect(steps[1]).toBe('pnpm --filter "@platform/devstack" run build');
    expect(steps[2]).toContain('cp -r packages/devstack/dist /tools/dist');
    expect(steps[2]).toContain('ln -s "../dist/${command}.js" "/tools/bin/${command}"');
    const pkg = JSON.parse(readRepoFile('packages/devstack/package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toBe('tsup');
  });

  it('bundles every operator command of packages/devstack/src/cli, and none of the local-stack ones', () => {
    const commands = operatorCommands();
    expect(commands).toEqual(expect.arrayContaining(['dead-letters', 'replay']));
    for (const local of LOCAL_ONLY_COMMANDS) expect(commands).not.toContain(local);
    expect(Object.keys(toolsBundle.entry as Record<string, string>).sort()).toEqual(commands);
  });

  it('bundles every npm package into each command (no node_modules in the image), as an executable', () => {
    const bundled = (specifier: string) => toolsBundle.noExternal.some((pattern) => pattern.test(specifier));
    for (const specifier of ['@nats-io/transport-node', '@nats-io/jetstream', 'pino', '@platform/runtime/nats']) expect(bundled(specifier), specifier).toBe(true);
    expect(toolsBundle.banner.js.split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});

