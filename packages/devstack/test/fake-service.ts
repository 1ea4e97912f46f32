/**
 * Test helper: writes a stand-in for `apps/<svc>/dist/main.js` into a temp folder (removed by the
 * caller). It serves /healthz, /readyz (503 for the first 300 ms), /env, and logs pino-like lines.
 * FAKE_EXIT_EARLY=1 makes it crash at boot; FAKE_IGNORE_TERM=1 makes it ignore SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = `
import { createServer } from 'node:http';
const log = (msg, extra = {}) => console.log(JSON.stringify({ level: 30, time: Date.now(), msg, ...extra }));
if (process.env.FAKE_EXIT_EARLY === '1') { console.error('boom: cannot start'); process.exit(3); }
const bootedAt = Date.now();
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(200).end('ok'); return; }
  if (req.url === '/readyz') { res.writeHead(Date.now() - bootedAt > 300 ? 200 : 503).end(); return; }
  if (req.url === '/env') {
    const keys = Object.keys(process.env).filter((key) => /^(PORT|HOST|NATS_URL|SMTP_URL|DATABASE_URL|OTEL_SERVICE_NAME|LOG_LEVEL|EXTRA|PLATFORM_CRASH_AT|MANAGEMENT_PORT|[A-Z]+_URL)$/.test(key));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Object.fromEntries(keys.map((key) => [key, process.env[key]]))));
    return;
  }
  res.writeHead(404).end();
});
server.listen(Number(process.env.PORT), process.env.HOST ?? '0.0.0.0', () => log('listening', { port: Number(process.env.PORT) }));
process.on('SIGTERM', () => {
  if (process.env.FAKE_IGNORE_TERM === '1') { log('ignoring SIGTERM'); return; }
  log('shutting down');
  server.close(() => process.exit(0));
});
`;

export function writeFakeService(dir: string): string {
  const file = join(dir, 'fake-service.mjs');
  writeFileSync(file, SOURCE);
  return file;
}
