import got from 'got';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '../src';

let sim: SimulatorHandle;
const http = got.extend({ throwHttpErrors: false, retry: { limit: 0 }, responseType: 'json', timeout: { request: 5_000 } });
const auth = { authorization: `Bearer ${LOCAL_PROVIDER_CREDENTIALS.devices.apiKey}` };
const body = (reference: string) => ({
  reference,
  scenario: 'sensor_vendor_first_time',
  orderId: '7f1c1c7e-1d4e-4a8e-9f43-5b1f3e3f0a11',
  shipmentId: '0b7e4f52-6a55-4b1c-8c7e-2d6f6c1a9e21',
  trackingNumber: 'RR123456785ES',
  sku: 'SENSOR-T1',
  quantity: 1,
  deliveredAt: '2026-12-03T10:00:00.000Z',
});

beforeAll(async () => {
  sim = await startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' });
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(() => {
  sim.controls.devices.reset();
  sim.controls.devices.requests.length = 0;
});

describe('device system simulator', () => {
  const post = (json: unknown, headers: Record<string, string> = auth) => http.post<Record<string, any>>(`${sim.baseUrl('devices')}/automations`, { json, headers });

  it('runs an automation once per reference: the same reference answers the one it ran', async () => {
    const first = await post(body('step-1'));
    expect(first.statusCode).toBe(201);
    expect(first.body).toMatchObject({ reference: 'step-1', scenario: 'sensor_vendor_first_time', status: 'completed' });
    const again = await post(body('step-1'));
    expect(again.statusCode).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const found = await http.get<Record<string, any>>(`${sim.baseUrl('devices')}/automations/step-1`, { headers: auth });
    expect(found.body.id).toBe(first.body.id);
    expect(sim.controls.devices.requests.map((r) => r.outcome)).toEqual(['ok', 'replayed']);
  });

  it('refuses a wrong key, an invalid body, and under `reject` answers scenario_refused without running it', async () => {
    expect((await post(body('step-2'), { authorization: 'Bearer nope' })).statusCode).toBe(401);
    const invalid = await post({ reference: 'step-2', scenario: 'teleport' });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body.error.code).toBe('invalid_request');
    sim.controls.devices.set({ mode: 'reject', times: 1, options: { reason: 'Unknown device' } });
    const refused = await post(body('step-2'));
    expect(refused.statusCode).toBe(422);
    expect(refused.body.error).toEqual({ code: 'scenario_refused', message: 'Unknown device' });
    expect((await http.get(`${sim.baseUrl('devices')}/automations/step-2`, { headers: auth })).statusCode).toBe(404);
    expect((await post(body('step-2'))).statusCode).toBe(201);
  });

  it('answers 503 under `error`', async () => {
    sim.controls.devices.set({ mode: 'error' });
    expect((await post(body('step-3'))).statusCode).toBe(503);
  });
});
