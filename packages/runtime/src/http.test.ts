import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { createHttpServer } from './http';
import { createLogger } from './logger';
import { createMetrics } from './metrics';

describe('the platform HTTP server', () => {
  it("answers the router's own refusals (a malformed or overlong path) as problem+json", async () => {
    const app = createHttpServer({ log: createLogger('http-test', 'silent'), metrics: createMetrics('http-test'), readiness: {} });
    app.get('/things/:id', async () => ({}));
    await app.ready();
    const badUrl = await app.inject({ method: 'GET', url: '/things/%ED%A0%80' });
    const longParam = await app.inject({ method: 'GET', url: `/things/${'x'.repeat(300)}` });
    for (const [answer, status] of [[badUrl, 400], [longParam, 414]] as const) {
      expect(answer.statusCode).toBe(status);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.json()).toMatchObject({ status, code: expect.any(String) });
    }
    await app.close();
  });

  it("never writes a signed link's token to the request log", async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const app = createHttpServer({ log, metrics: createMetrics('http-test'), readiness: {} });
    app.get('/orders/:id', async () => ({}));
    await app.ready();
    await app.inject({ method: 'GET', url: '/orders/o-1?t=v1.secret-token-value&lang=es' });
    await app.close();
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; url?: string }).find((entry) => entry.msg === 'request');
    expect(logged?.url).toBe('/orders/o-1?t=redacted&lang=es');
    expect(lines.join('')).not.toContain('secret-token-value');
  });
});
