import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, repoRoot, SERVICE_NAMES, SERVICES, serviceEntry } from '../src/index';
import { eventually } from '@platform/test-support/eventually';

const CLI = join(repoRoot, 'packages/devstack/src/cli/platform.ts');

/**
 * The README's walk-through ("Walk an order through its life"), every `sh` block in order, as
 * one script: the commands a newcomer pastes, with only the local addresses moved to this
 * run's ports.
 */
function readmeWalkThrough(ports: Record<string, string>): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Walk an order through its life'), readme.indexOf('Bad input gets'));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
  return blocks
    .join('\n')
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.GATEWAY_PORT}`)
    .replaceAll('127.0.0.1:8090', `127.0.0.1:${ports.SIMULATORS_PORT}`);
}

function runScript(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: repoRoot, env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}
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

type BillingView = { payments?: { checkoutSessions?: { providerSessionId?: string }[] }[] };
const OPS_KEY = 'a-real-ops-key-0123456789';
const unpaidOrder = {
  customer: { id: 'cust-demo', email: 'ana@example.com', name: 'Ana García', locale: 'es', timezone: 'Europe/Madrid' },
  shippingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
  items: [{ sku: 'TSHIRT-BLK-M', variantId: '14:193#Black', name: 'Black T-shirt (M)', quantity: 1, vendor: { id: 'acme', type: 'brand' }, supplierSource: 'cj' }],
  currency: 'EUR',
};

describe('pnpm platform (command one)', () => {
  let unpaidOrderId = '';
  let checkoutSessionId: string | undefined;
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

  it.skipIf(!allBuilt)('boots the real services, prints the banner, runs the README walk-through verbatim, stops on SIGINT with exit 0, and keeps data', async () => {
    // Suppliers polled every 2 s instead of command one's 10 s: the same steps, sooner.
    const env: Record<string, string> = { ...(await portEnv()), PLATFORM_DATA_DIR: join(root, 'data'), SUPPLIER_POLL_INTERVAL_MS: '2000' };
    const first = runCli(env);
    try {
      await first.waitFor(/Press Ctrl-C to stop/, 120_000);
      const banner = first.output();
      expect(banner).toContain(`Gateway      http://127.0.0.1:${env.GATEWAY_PORT}`);
      expect(banner).toContain(`Mail inbox   http://127.0.0.1:${env.SMTP_HTTP_PORT}`);
      expect(banner).toContain(`NATS         nats://127.0.0.1:${env.NATS_PORT}`);
      expect(banner).toContain(`postgresql://<service>:<service>-local@127.0.0.1:${env.POSTGRES_PORT}/<service>`);
      expect((await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${env.SMTP_HTTP_PORT}/`)).status).toBe(200);
      for (const name of SERVICE_NAMES) expect(existsSync(join(root, 'data', 'logs', `${name}.log`))).toBe(true);
      expect(banner).toContain('dev keys: dev-admin-key, dev-ops-key, dev-customer-key for customer cust-demo, dev-vendor-key for vendor acme');

      const walk = await runScript(readmeWalkThrough(env), { SIMULATORS_URL: `http://127.0.0.1:${env.SIMULATORS_PORT}` });
      // First whether every command succeeded: a failure shows the end of the output, where it stopped.
      expect(walk.code, walk.output.slice(-4000)).toBe(0);
      expect(walk.output).toContain('pending → confirmed → processing → shipped → out_for_delivery → delivered');
      // The Twilio simulator calls back the local stack (TWILIO_STATUS_CALLBACK_URL): the SMS sent long before the walk reads it is delivered.
      expect(walk.output).toMatch(/^shipped\/sms: delivered$/m);
      expect(walk.output).toMatch(/^delivered\/email: delivered$/m);
      expect(walk.output).toContain('.opsTasks.length = 1');
      expect(walk.output).toContain('.order.status = refunded');
      expect(walk.output).toContain('pending after 1');
      expect(walk.output).toMatch(/^fallback_triggered$/m);
      // The two-vendor order: two parts, and the vendor key sees only its own.
      expect(walk.output).toMatch(/^ORD-\d+-1 acme pending\nORD-\d+-2 potter pending$/m);
      expect(walk.output).toMatch(/^404\n403$/m);

      // Quiet console: one line per gateway request, not the work behind it; no runtime warnings.
      const console = first.output().slice(banner.length);
      expect(console).toMatch(/gateway\s+INFO\s+POST \/v1\/orders → 201/);
      expect(console).not.toMatch(/event handled|timer fired|correlationId=/);
      expect(console).not.toMatch(/^(orders|billing|fulfillment|tracking|notifications)\s+INFO\s+(GET|POST|PUT)/m);
      for (const name of SERVICE_NAMES) expect(readFileSync(join(root, 'data', 'logs', `${name}.log`), 'utf8')).not.toContain('DeprecationWarning');

      // An order left waiting for payment, to pay after the restart.
      const gateway = `http://127.0.0.1:${env.GATEWAY_PORT}`;
      const customer = { authorization: 'Bearer dev-customer-key', 'content-type': 'application/json' };
      const placed = await fetch(`${gateway}/v1/orders`, { method: 'POST', headers: customer, body: JSON.stringify(unpaidOrder) });
      expect(placed.status).toBe(201);
      unpaidOrderId = ((await placed.json()) as { id: string }).id;
      checkoutSessionId = await eventually(
        async () => ((await (await fetch(`${gateway}/v1/orders/${unpaidOrderId}/billing`, { headers: customer })).json()) as BillingView).payments?.[0]?.checkoutSessions?.[0]?.providerSessionId,
        (id) => id !== undefined,
      );
      expect(checkoutSessionId).toMatch(/^cs_test_/);
    } finally {
      first.child.kill('SIGINT');
    }
    expect(await first.exit).toBe(0);
    expect(first.output()).toMatch(/stopped\.\s*$/);

    // Second run on the same data: no re-initialisation, no migration applied again. With real
    // keys configured, the banner no longer advertises the development keys.
    const apiKeys = JSON.stringify([{ id: 'ops', key: OPS_KEY, role: 'ops' }]);
    const second = runCli({ ...env, API_KEYS: apiKeys });
    try {
      await second.waitFor(/Press Ctrl-C to stop/, 120_000);
      expect(second.output()).not.toMatch(/applied \d+ migration/);
      expect(second.output()).toContain('(keys: those in API_KEYS)');
      expect(second.output()).not.toContain('dev-customer-key');

      // The simulators kept their state: the checkout session opened before the restart is paid now.
      const completed = await fetch(`http://127.0.0.1:${env.SIMULATORS_PORT}/stripe/_sim/checkout/sessions/${checkoutSessionId}/complete`, { method: 'POST' });
      expect(completed.status).toBe(200);
      const status = await eventually(
        async () => ((await (await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/v1/orders/${unpaidOrderId}`, { headers: { authorization: `Bearer ${OPS_KEY}` } })).json()) as { order?: { status?: string } }).order?.status,
        (value) => value === 'confirmed',
      );
      expect(status).toBe('confirmed');
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exit).toBe(0);
    expect(readFileSync(join(root, 'data', 'logs', 'postgres.log'), 'utf8').match(/database system is ready/g)?.length).toBe(2);
  }, 300_000);
});
