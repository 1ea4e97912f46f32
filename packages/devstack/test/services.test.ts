import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, repoRoot, SERVICE_NAMES, SERVICES, serviceEntry, startService, type ServiceHandle } from '../src/index';
import { writeFakeService } from './fake-service';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('service registry', () => {
  it('matches the README (Services, Configuration)', () => {
    expect(SERVICE_NAMES).toEqual(['gateway', 'orders', 'fulfillment', 'tracking', 'notifications', 'billing']);
    expect(SERVICE_NAMES.map((name) => [SERVICES[name].port, SERVICES[name].database])).toEqual([
      [8080, null],
      [8081, 'orders'],
      [8082, 'fulfillment'],
      [8083, 'tracking'],
      [8084, 'notifications'],
      [8085, 'billing'],
    ]);
    expect(serviceEntry('orders')).toBe(join(repoRoot, 'apps/orders/dist/main.js'));
    expect(readFileSync(join(repoRoot, 'pnpm-workspace.yaml'), 'utf8')).toMatch(/apps\/\*/);
  });
});

describe('startService', () => {
  let dir: string;
  let fake: string;
  const handles: ServiceHandle[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'devstack-svc-'));
    fake = writeFakeService(dir);
  });
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((handle) => handle.stop(1_000)));
    vi.restoreAllMocks();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs from the repo root, waits for /readyz, logs to a file, and stops with SIGTERM', async () => {
    const port = await freePort();
    const logFile = join(dir, 'orders.log');
    const service = await startService({ name: 'orders', port, env: { HOST: '127.0.0.1', EXTRA: 'x' }, logFile, entry: fake });
    handles.push(service);
    expect(service.url).toBe(`http://127.0.0.1:${port}`);
    const started = Date.now();
    await service.waitReady(10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150); // it really polled through the 503s
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${service.url}/env`)).json()).toMatchObject({ PORT: String(port), HOST: '127.0.0.1', EXTRA: 'x' });
    expect(readFileSync(`/proc/${service.pid}/cwd/pnpm-workspace.yaml`, 'utf8')).toMatch(/apps/);

    await service.stop();
    expect(await service.exited).toBe(0);
    expect(alive(service.pid)).toBe(false);
    const lines = readFileSync(logFile, 'utf8');
    expect(lines).toMatch(/"msg":"listening"/);
    expect(lines).toMatch(/"msg":"shutting down"/);
  }, 30_000);

  it('prefixes output with the service name on stdout when there is no log file', async () => {
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
      writes.push(String(chunk));
      return original(chunk, ...rest);
    }) as typeof process.stdout.write);
    const service = await startService({ name: 'billing', port: await freePort(), env: { HOST: '127.0.0.1' }, entry: fake });
    handles.push(service);
    await service.waitReady(10_000);
    expect(writes.some((line) => line.startsWith('[billing] {') && line.includes('"listening"'))).toBe(true);
  }, 30_000);

  it('rejects waitReady with the exit code and output when the service dies at boot', async () => {
    const service = await startService({ name: 'tracking', port: await freePort(), env: { FAKE_EXIT_EARLY: '1' }, logFile: join(dir, 't.log'), entry: fake });
    await expect(service.waitReady(10_000)).rejects.toThrow(/tracking exited \(code 3\) before it was ready[\s\S]*boom: cannot start/);
    expect(await service.exited).toBe(3);
  }, 30_000);

  it('escalates to SIGKILL when SIGTERM is ignored, and kill() delivers signals', async () => {
    const stubborn = await startService({ name: 'fulfillment', port: await freePort(), env: { HOST: '127.0.0.1', FAKE_IGNORE_TERM: '1' }, logFile: join(dir, 'f.log'), entry: fake });
    await stubborn.waitReady(10_000);
    const before = Date.now();
    await stubborn.stop(500);
    expect(Date.now() - before).toBeGreaterThanOrEqual(450);
    expect(await stubborn.exited).toBeNull(); // ended by a signal
    expect(readFileSync(join(dir, 'f.log'), 'utf8')).toMatch(/ignoring SIGTERM/);

    const crashed = await startService({ name: 'gateway', port: await freePort(), env: { HOST: '127.0.0.1' }, logFile: join(dir, 'g.log'), entry: fake });
    await crashed.waitReady(10_000);
    crashed.kill('SIGKILL');
    expect(await crashed.exited).toBeNull();
  }, 30_000);

  it('says how to build a service whose dist is missing', async () => {
    await expect(
      startService({ name: 'notifications', port: 1, env: {}, entry: join(dir, 'missing/dist/main.js') }),
    ).rejects.toThrow(/notifications is not built .*pnpm --filter @platform\/notifications build/);
  });

  it('takes the service down when the parent process is SIGKILLed', async () => {
    const servicesModule = fileURLToPath(new URL('../src/services.ts', import.meta.url));
    const parentScript = join(dir, 'parent.mts');
    writeFileSync(
      parentScript,
      `import { startService } from ${JSON.stringify(servicesModule)};
const port = Number(process.argv[2]);
const service = await startService({ name: 'orders', port, env: { HOST: '127.0.0.1' }, logFile: ${JSON.stringify(join(dir, 'orphan.log'))}, entry: ${JSON.stringify(fake)} });
await service.waitReady(10_000);
console.log('PID ' + service.pid);
setInterval(() => {}, 1000);
`,
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', parentScript, String(await freePort())], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /PID (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      parent.once('exit', () => reject(new Error(`parent exited early: ${out}`)));
    });
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid)).toBe(false);
  }, 30_000);
});
