import got from 'got';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '../src';
import { s10CheckDigit } from '../src/tracking-numbers';

let sim: SimulatorHandle;
const http = got.extend({ throwHttpErrors: false, retry: { limit: 0 }, responseType: 'json', timeout: { request: 5_000 } });
const auth = { authorization: `Basic ${Buffer.from(`${LOCAL_PROVIDER_CREDENTIALS.easypost.apiKey}:`).toString('base64')}` };
const shipment = {
  reference: 'RMA-ORD-1-1',
  is_return: true,
  from_address: { name: 'Ana García', street1: 'Calle Mayor 1', city: 'Madrid', zip: '28001', country: 'ES' },
  to_address: { name: 'Madrid hub', country: 'ES' },
  parcel: { weight: 32 },
  service: 'Return',
};

beforeAll(async () => {
  sim = await startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' });
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(() => {
  sim.controls.easypost.reset();
});

describe('EasyPost simulator (return labels)', () => {
  const buy = (body: unknown, headers: Record<string, string> = auth) => http.post<Record<string, any>>(`${sim.baseUrl('easypost')}/v2/shipments`, { json: body, headers });

  it('buys a return label in one call: a Shipment with its tracking code (a valid S10 of the sender’s country) and postage label, found again by id', async () => {
    const bought = await buy({ shipment });
    expect(bought.statusCode).toBe(201);
    expect(bought.body).toMatchObject({ object: 'Shipment', is_return: true, reference: 'RMA-ORD-1-1', selected_rate: { carrier: 'Correos', service: 'Return' } });
    const code = bought.body.tracking_code as string;
    expect(code).toMatch(/^RR\d{9}ES$/);
    expect(Number(code[10])).toBe(s10CheckDigit(code.slice(2, 10)));
    expect(bought.body.postage_label.label_url).toContain(bought.body.id);
    const found = await http.get<Record<string, any>>(`${sim.baseUrl('easypost')}/v2/shipments/${bought.body.id}`, { headers: auth });
    expect(found.body.tracking_code).toBe(code);
  });

  it('refuses a wrong key, a shipment without addresses or service, and an address under the reject switch', async () => {
    expect((await buy({ shipment }, { authorization: 'Basic bm9wZTo=' })).body).toMatchObject({ error: { code: 'APIKEY.INVALID' } });
    expect((await buy({ shipment: { ...shipment, service: undefined } })).body).toMatchObject({ error: { code: 'SHIPMENT.INVALID_PARAMS' } });
    sim.controls.easypost.set({ mode: 'reject', options: { reason: 'Unknown street' } });
    const refused = await buy({ shipment });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toMatchObject({ error: { code: 'ADDRESS.VERIFY.FAILURE', message: 'Unknown street' } });
  });
});
