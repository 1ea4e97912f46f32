import { describe, expect, it } from 'vitest';
import { aliexpressOrderStatus, iopSignature, splitPhone } from './aliexpress';

describe('iopSignature', () => {
  // The two worked examples of AliExpress Open Platform's signature guide (app secret "helloworld").
  it('matches the documented system-API example (API path prefixed)', () => {
    const params = { app_key: '12345678', code: '3_500102_JxZ05Ux3cnnSSUm6dCxYg6Q26', sign_method: 'sha256', timestamp: '1517820392000' };
    expect(iopSignature(params, 'helloworld', '/auth/token/create')).toBe('35607762342831B6A417A0DED84B79C05FEFBF116969C48AD6DC00279A9F4D81');
  });

  it('matches the documented business-API example (method signed, no path prefix)', () => {
    const params = {
      access_token: 'test',
      aliexpress_category_id: '200135143',
      app_key: '123456',
      method: 'aliexpress.logistics.redefining.getonlinelogisticsinfo',
      sign_method: 'sha256',
      timestamp: '1517820392000',
    };
    expect(iopSignature(params, 'helloworld')).toBe('F7F7926B67316C9D1E8E15F7E66940ED3059B1638C497D77973F30046EFB5BBB');
  });

  it('ignores an existing sign and the order in which parameters were added', () => {
    const params = { timestamp: '1700000000000', method: 'aliexpress.ds.order.create', app_key: '12345678', session: 's', sign_method: 'sha256' };
    const reordered = { app_key: '12345678', method: 'aliexpress.ds.order.create', session: 's', sign_method: 'sha256', timestamp: '1700000000000', sign: 'OLD' };
    expect(iopSignature(reordered, 'secret')).toBe(iopSignature(params, 'secret'));
    expect(iopSignature(params, 'other-secret')).not.toBe(iopSignature(params, 'secret'));
  });
});

describe('aliexpressOrderStatus', () => {
  it.each([
    ['PLACE_ORDER_SUCCESS', 'placed'],
    ['RISK_CONTROL', 'placed'],
    ['WAIT_SELLER_SEND_GOODS', 'confirmed'],
    ['WAIT_BUYER_ACCEPT_GOODS', 'shipped'],
    ['SELLER_PART_SEND_GOODS', 'shipped'],
    ['FINISH', 'delivered'],
    ['IN_CANCEL', 'cancelled'],
    ['SOMETHING_NEW', 'placed'],
  ] as const)('%s → %s', (orderStatus, status) => {
    expect(aliexpressOrderStatus({ order_status: orderStatus }).status).toBe(status);
  });

  it('reads tracking from logistics_info_list, plain or wrapped', () => {
    const entry = { logistics_no: 'RR123456785CN', logistics_service: 'CAINIAO_STANDARD' };
    for (const list of [[entry], { ae_order_logistics_info: [entry] }]) {
      expect(aliexpressOrderStatus({ order_status: 'WAIT_BUYER_ACCEPT_GOODS', logistics_info_list: list })).toEqual({
        status: 'shipped',
        trackingNumber: 'RR123456785CN',
        carrier: 'CAINIAO_STANDARD',
        reason: null,
      });
    }
  });

  it('names an unknown status in the reason and reports no tracking before shipment', () => {
    expect(aliexpressOrderStatus({ order_status: 'IN_FROZEN', logistics_info_list: [{ logistics_no: 'X' }] })).toEqual({
      status: 'placed',
      trackingNumber: null,
      carrier: null,
      reason: 'AliExpress order status IN_FROZEN',
    });
  });
});

describe('splitPhone', () => {
  it('separates the calling code when written apart, else keeps all digits', () => {
    expect(splitPhone('+34 600 000 000')).toEqual({ country: '34', number: '600000000' });
    expect(splitPhone('+1-415-555-0100')).toEqual({ country: '1', number: '4155550100' });
    expect(splitPhone('+34600000000')).toEqual({ country: '', number: '34600000000' });
    expect(splitPhone('')).toEqual({ country: '', number: '' });
  });
});
