import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, repoRoot, SERVICE_NAMES, SERVICES, serviceEntry } from '../src/index';

const CLI = join(repoRoot, 'packages/devstack/src/cli/platform.ts');
const allBuilt = SERVICE_NAMES.every((name) => existsSync(serviceEntry(name)));

async function portEnv(): Promise<Record<string, string>> {
  const ports = await freePorts(6 + SERVICE_NAMES.length);
  const env: Record<string, string> = {};
  ['NATS_PORT', 'NATS_MONITOR_PORT', 'POSTGRES_PORT', 'SMTP_PORT', 'SMTP_HTTP_PORT', 'SIMULATORS_PORT', ...SERVICE_NAMES.map((name) => `${SERVICES[name].envPrefix}_PORT`)].forEach(
    (key, index) => (env[key] = String(ports[index])),
  );
  return env;
}

interface Run {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exit: Promise<number | null>;
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<void>;
}

function runCli(env: Record<string, string>): Run {
  // Strip inherited overrides so the command starts its own infrastructure.
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/(^NATS_URL$|^SMTP_URL$|_DATABASE_URL$|_PORT$)/.test(key)));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI], { cwd: repoRoot, env: { ...base, ...env, NO_COLOR: '1' } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exit,
    waitFor: async (pattern, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (child.exitCode !== null) throw new Error(`platform exited (${child.exitCode}):\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

describe('pnpm platform (command one)', () => {
  let root: string;
  let blocker: Server | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'devstack-cli-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    rmSync(root, { recursive: true, force: true });
  });

  it('names the busy port and the variable to change when a port is taken', async () => {
    const env = await portEnv();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(Number(env.GATEWAY_PORT), '127.0.0.1', resolve));
    const run = runCli({ ...env, PLATFORM_DATA_DIR: join(root, 'busy') });
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain(`Port ${env.GATEWAY_PORT} (gateway) is already in use. Stop what uses it, or set GATEWAY_PORT to another port.`);
    expect(existsSync(join(root, 'busy', 'postgres'))).toBe(false); // nothing was started
  }, 30_000);

  it.skipIf(!allBuilt)('boots the real services, prints the banner, stops on SIGINT with exit 0, and keeps data', async () => {
    const env: Record<string, string> = { ...(await portEnv()), PLATFORM_DATA_DIR: join(root, 'data') };
    const first = runCli(env);
    try {
      await first.waitFor(/Press Ctrl-C to stop/, 120_000);
      const banner = first.output();
      expect(banner).toContain(`Gateway      http://127.0.0.1:${env.GATEWAY_PORT}`);
      expect(banner).toContain(`Mail inbox   http://127.0.0.1:${env.SMTP_HTTP_PORT}`);
      expect(banner).toContain(`NATS         nats://127.0.0.1:${env.NATS_PORT}`);
      expect(banner).toContain(`postgresql://postgres:postgres@127.0.0.1:${env.POSTGRES_PORT}/`);
      expect((await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${env.SMTP_HTTP_PORT}/`)).status).toBe(200);
      for (const name of SERVICE_NAMES) expect(existsSync(join(root, 'data', 'logs', `${name}.log`))).toBe(true);
    } finally {
      first.child.kill('SIGINT');
    }
    expect(await first.exit).toBe(0);
    expect(first.output()).toMatch(/stopped\.\s*$/);

    // Second run on the same data: no re-initialisation, no migration applied again.
    const second = runCli(env);
    try {
      await second.waitFor(/Press Ctrl-C to stop/, 120_000);
      expect(second.output()).not.toMatch(/applied \d+ migration/);
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exit).toBe(0);
    expect(readFileSync(join(root, 'data', 'logs', 'postgres.log'), 'utf8').match(/database system is ready/g)?.length).toBe(2);
  }, 300_000);
});
