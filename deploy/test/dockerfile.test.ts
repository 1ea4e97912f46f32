/**
 * The root Dockerfile cannot be built here (no Docker engine). This test parses it into
 * stages and instructions, checks the build recipe, and runs the entrypoint script embedded in
 * it (a heredoc) with a stub `prisma` to prove: migrations run before the service starts, are
 * skipped with MIGRATE_ON_START=false or without prisma.config.ts, a failed migration stops
 * the start, and the service replaces the shell (exec, same PID).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRepoFile, SERVICES } from './platform';

interface Instruction {
  keyword: string;
  args: string;
  heredocs: { name: string; body: string }[];
}

interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
  /** ARG defaults visible in the stage (global ones only where re-declared, as Docker does). */
  args: Record<string, string>;
}

function parseInstructions(text: string): Instruction[] {
  const lines = text.split('\n');
  const out: Instruction[] = [];
  let i = 0;
  while (i < lines.length) {
    let line = lines[i++]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i < lines.length) {
      const next = lines[i++]!;
      if (/^\s*#/.test(next)) continue;
      line = line.replace(/\\\s*$/, ' ') + next;
    }
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`cannot parse Dockerfile line: ${line}`);
    const heredocs: Instruction['heredocs'] = [];
    for (const h of line.matchAll(/<<-?(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g)) {
      const body: string[] = [];
      while (i < lines.length && lines[i] !== h[2]) body.push(lines[i++]!);
      i++;
      heredocs.push({ name: h[2]!, body: `${body.join('\n')}\n` });
    }
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), heredocs });
  }
  return out;
}

function parseArg(args: string): [string, string | undefined] {
  const [name, ...value] = args.split('=');
  return [name!.trim(), value.length ? value.join('=').trim() : undefined];
}

const substitute = (text: string, args: Record<string, string>) =>
  text.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a?: string, b?: string) => args[(a ?? b)!] ?? all);

function parseDockerfile(text: string): { globalArgs: Record<string, string>; stages: Stage[] } {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of parseInstructions(text)) {
    const stage = stages.at(-1);
    if (ins.keyword === 'FROM') {
      const [image = '', as, name] = ins.args.split(/\s+/);
      stages.push({ from: substitute(image, globalArgs), name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [], args: {} });
    } else if (ins.keyword === 'ARG' && !stage) {
      const [name, value] = parseArg(ins.args);
      if (value !== undefined) globalArgs[name] = value;
    } else if (stage) {
      if (ins.keyword === 'ARG') {
        const [name, value] = parseArg(ins.args);
        const inherited = value ?? globalArgs[name];
        if (inherited !== undefined) stage.args[name] = inherited;
      }
      stage.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const stageNamed = (name: string) => {
  const s = dockerfile.stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
const runs = (stage: Stage) =>
  stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => substitute(i.args, stage.args));

const runtime = dockerfile.stages.at(-1)!;
const last = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).at(-1);
const jsonArgs = (ins: Instruction | undefined): string[] => JSON.parse(ins?.args ?? 'null') as string[];

/** The script the runtime image uses as ENTRYPOINT, taken from the COPY heredoc that writes it. */
function entrypointScript(): { path: string; body: string } {
  const [path] = jsonArgs(last(runtime, 'ENTRYPOINT'));
  const binary = path?.startsWith('/') ? path : `/usr/local/bin/${path}`;
  for (const ins of runtime.instructions) {
    if (ins.keyword === 'COPY' && ins.heredocs.length === 1 && ins.args.trim().endsWith(binary)) {
      return { path: binary, body: ins.heredocs[0]!.body };
    }
  }
  throw new Error(`ENTRYPOINT ${path} is not written by a COPY heredoc in the runtime stage`);
}

describe('Dockerfile: build', () => {
  it('builds on node:22-bookworm-slim in every stage', () => {
    const stageNames = new Set(dockerfile.stages.map((s) => s.name));
    const bases = dockerfile.stages.map((s) => s.from).filter((from) => !stageNames.has(from));
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toBe('node:22-bookworm-slim');
  });

  it('installs the pnpm version pinned in package.json', () => {
    const packageManager = (JSON.parse(readRepoFile('package.json')) as { packageManager: string }).packageManager;
    expect(packageManager).toMatch(/^pnpm@/);
    expect(runs(stageNamed('build'))).toContain(`npm i -g ${packageManager}`);
  });

  it('accepts exactly the six services and the provider simulators as APP', () => {
    const check = runs(stageNamed('build')).find((r) => r.startsWith('case "${APP}" in'));
    const listed = /in\s+([\w|]+)\)/.exec(check ?? '')?.[1]?.split('|');
    expect(listed?.sort()).toEqual([...SERVICES.map((s) => s.name), 'simulators'].sort());
  });

  it('copies the bundle from the package folder pnpm reports (apps/<service> or packages/simulators)', () => {
    const deploy = runs(stageNamed('build')).find((r) => / deploy --prod /.test(r)) ?? '';
    expect(deploy).toMatch(/app_dir="\$\(pnpm --filter "@platform\/\$\{APP\}" exec pwd\)"/);
    expect(deploy).toContain('cp -r "${app_dir}/dist" /out/dist');
  });

  it('installs from the lockfile, generates, builds, then deploys a pruned production tree', () => {
    const steps = runs(stageNamed('build'));
    const at = (pattern: RegExp) => {
      const index = steps.findIndex((s) => pattern.test(s));
      expect(index, String(pattern)).toBeGreaterThanOrEqual(0);
      return index;
    };
    const install = at(/pnpm install .*--frozen-lockfile/);
    const generate = at(/pnpm --filter "@platform\/\$\{APP\}\.\.\." run (--if-present )?generate/);
    const build = at(/pnpm --filter "@platform\/\$\{APP\}" (run )?build/);
    const deploy = at(/pnpm --filter "@platform\/\$\{APP\}" deploy --prod .*\/out/);
    expect(install).toBeLessThan(generate);
    expect(generate).toBeLessThan(build);
    expect(build).toBeLessThan(deploy);
    expect(steps[deploy]).toContain('dist');
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
    const deploy = runs(stageNamed('build')).find((r) => / deploy --prod /.test(r)) ?? '';
    expect(deploy).toContain('if [ "${APP}" = simulators ]; then ln -s serve.js /out/dist/main.js; fi');
    expect(jsonArgs(last(runtime, 'CMD'))).toEqual(['node', '--enable-source-maps', 'dist/main.js']);
  });

  it('has no database: no prisma.config.ts, so no Prisma CLI step and no migration on start', () => {
    expect(existsSync(new URL('../../packages/simulators/prisma.config.ts', import.meta.url))).toBe(false);
    const prismaStep = runs(stageNamed('build')).find((r) => r.includes('prisma.config.ts')) ?? '';
    expect(prismaStep).toContain('if [ -f "apps/${APP}/prisma.config.ts" ]');
    expect(pkg.dependencies ?? {}).not.toHaveProperty('@prisma/client');
  });
});

describe('Dockerfile: runtime', () => {
  it('copies the pruned app from the build stage and runs it as a non-root user', () => {
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=build /out /app');
    expect(last(runtime, 'WORKDIR')?.args).toBe('/app');
    const user = last(runtime, 'USER')?.args.split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });

  it('starts node with source maps through the entrypoint', () => {
    expect(jsonArgs(last(runtime, 'CMD'))).toEqual(['node', '--enable-source-maps', 'dist/main.js']);
    expect(entrypointScript().body).toMatch(/^#!\/bin\/sh\n/);
  });

  it('runs prisma migrate deploy before exec-ing the command, unless MIGRATE_ON_START=false', () => {
    const body = entrypointScript().body;
    const migrate = body.indexOf('prisma migrate deploy');
    const start = body.indexOf('exec "$@"');
    expect(migrate).toBeGreaterThan(0);
    expect(start).toBeGreaterThan(migrate);
    expect(body).toMatch(/MIGRATE_ON_START/);
  });
});

describe('Dockerfile: entrypoint behaviour', () => {
  const script = entrypointScript().body;

  function start(options: { env?: Record<string, string>; prismaConfig: boolean; prismaExit?: number }) {
    const dir = mkdtempSync(join(tmpdir(), 'entrypoint-'));
    try {
      const bin = join(dir, 'bin');
      const calls = join(dir, 'calls.log');
      mkdirSync(bin);
      writeFileSync(join(bin, 'prisma'), `#!/bin/sh\necho "prisma $*" >> "$CALLS"\nexit ${options.prismaExit ?? 0}\n`, { mode: 0o755 });
      writeFileSync(join(dir, 'entrypoint'), script, { mode: 0o755 });
      if (options.prismaConfig) writeFileSync(join(dir, 'prisma.config.ts'), 'export default {};\n');
      const result = spawnSync(join(dir, 'entrypoint'), ['sh', '-c', 'echo "app pid=$$ args=$*" >> "$CALLS"', 'sh', 'one', 'two'], {
        cwd: dir,
        env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, CALLS: calls, APP: 'orders', ...options.env },
        encoding: 'utf8',
      });
      const log = existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [];
      return { status: result.status, pid: result.pid, log };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('migrates, then replaces itself with the command (same PID, arguments intact)', () => {
    const run = start({ prismaConfig: true });
    expect(run.status).toBe(0);
    expect(run.log).toEqual(['prisma migrate deploy', `app pid=${run.pid} args=one two`]);
  });

  it('migrates when MIGRATE_ON_START=true', () => {
    expect(start({ prismaConfig: true, env: { MIGRATE_ON_START: 'true' } }).log[0]).toBe('prisma migrate deploy');
  });

  it('skips migrations with MIGRATE_ON_START=false', () => {
    const run = start({ prismaConfig: true, env: { MIGRATE_ON_START: 'false' } });
    expect(run.status).toBe(0);
    expect(run.log).toEqual([`app pid=${run.pid} args=one two`]);
  });

  it('skips migrations for an app without prisma.config.ts (gateway)', () => {
    const run = start({ prismaConfig: false });
    expect(run.log).toEqual([`app pid=${run.pid} args=one two`]);
  });

  it('does not start the service when the migration fails', () => {
    const run = start({ prismaConfig: true, prismaExit: 3 });
    expect(run.status).not.toBe(0);
    expect(run.log).toEqual(['prisma migrate deploy']);
  });
});
