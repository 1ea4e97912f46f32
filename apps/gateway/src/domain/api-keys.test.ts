import { describe, expect, it } from 'vitest';
import { actorHeaders, apiKeysSchema, ApiKeyring, checkAccess, DEVELOPMENT_KEYS, mayActFor, presentedKey, sha256Hex } from './api-keys';

describe('API_KEYS parsing', () => {
  it('accepts keys in clear or as SHA-256 and keeps the customer of customer keys', () => {
    const entries = apiKeysSchema.parse(
      JSON.stringify([
        { id: 'shop', keySha256: sha256Hex('s3cret-customer'), role: 'customer', customerId: 'cust-1' },
        { id: 'desk', key: 's3cret-ops', role: 'ops' },
      ]),
    );
    expect(entries.map((e) => [e.id, e.role, e.customerId])).toEqual([
      ['shop', 'customer', 'cust-1'],
      ['desk', 'ops', undefined],
    ]);
  });

  it.each([
    ['not JSON', 'nope', /JSON array/],
    ['an empty list', '[]', /at least 1|>=1|too small/i],
    ['a customer key without its customer', JSON.stringify([{ id: 'a', key: 'k', role: 'customer' }]), /required for a customer key/],
    ['both key and keySha256', JSON.stringify([{ id: 'a', key: 'k', keySha256: sha256Hex('k'), role: 'ops' }]), /exactly one/],
    ['neither key nor keySha256', JSON.stringify([{ id: 'a', role: 'ops' }]), /exactly one/],
    ['a malformed hash', JSON.stringify([{ id: 'a', keySha256: 'abc', role: 'ops' }]), /hex SHA-256/],
    ['an unknown role', JSON.stringify([{ id: 'a', key: 'k', role: 'root' }]), /role/],
    ['a customer on an ops key', JSON.stringify([{ id: 'a', key: 'k', role: 'ops', customerId: 'c' }]), /only customer keys/],
    ['a vendor key without its vendor', JSON.stringify([{ id: 'a', key: 'k', role: 'vendor' }]), /required for a vendor key/],
    ['a vendor on a customer key', JSON.stringify([{ id: 'a', key: 'k', role: 'customer', customerId: 'c', vendorId: 'v' }]), /only vendor keys/],
    ['duplicate ids', JSON.stringify([{ id: 'a', key: 'k1', role: 'ops' }, { id: 'a', key: 'k2', role: 'ops' }]), /duplicate key id/],
    ['the same key twice (clear and hashed)', JSON.stringify([{ id: 'a', key: 'k', role: 'ops' }, { id: 'b', keySha256: sha256Hex('k'), role: 'admin' }]), /repeats/],
  ])('refuses %s', (_case, text, message) => {
    const result = apiKeysSchema.safeParse(text);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error!.issues)).toMatch(message);
  });
});

describe('ApiKeyring', () => {
  const keyring = new ApiKeyring([
    { id: 'shop', keySha256: sha256Hex('customer-key').toUpperCase(), role: 'customer', customerId: 'cust-1' },
    { id: 'desk', key: 'ops-key', role: 'ops' },
  ]);

  it('identifies a key by its hash, whichever way it was configured', () => {
    expect(keyring.identify('customer-key')).toEqual({ keyId: 'shop', role: 'customer', customerId: 'cust-1' });
    expect(keyring.identify('ops-key')).toEqual({ keyId: 'desk', role: 'ops' });
  });

  it('knows no other key, not even a near miss', () => {
    expect(keyring.identify('ops-key ')).toBeUndefined();
    expect(keyring.identify('OPS-KEY')).toBeUndefined();
    expect(keyring.identify(sha256Hex('ops-key'))).toBeUndefined();
    expect(keyring.identify('')).toBeUndefined();
  });

  it('has documented development keys for each role', () => {
    const dev = new ApiKeyring(DEVELOPMENT_KEYS);
    expect(dev.identify('dev-admin-key')?.role).toBe('admin');
    expect(dev.identify('dev-ops-key')?.role).toBe('ops');
    expect(dev.identify('dev-customer-key')).toEqual({ keyId: 'dev-customer', role: 'customer', customerId: 'cust-demo' });
    expect(dev.identify('dev-vendor-key')).toEqual({ keyId: 'dev-vendor', role: 'vendor', vendorId: 'acme' });
  });
});

describe('presentedKey', () => {
  it('reads a bearer token or X-Api-Key, bearer first', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ authorization: 'bearer   abc ' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': ' xyz ' })).toBe('xyz');
    expect(presentedKey({ authorization: 'Bearer abc', 'x-api-key': 'xyz' })).toBe('abc');
  });

  it('finds nothing in other schemes or empty headers', () => {
    expect(presentedKey({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
    expect(presentedKey({ authorization: 'Bearer' })).toBeUndefined();
    expect(presentedKey({ 'x-api-key': '' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
});

describe('roles', () => {
  const customer = { keyId: 'shop', role: 'customer' as const, customerId: 'cust-1' };
  const ops = { keyId: 'desk', role: 'ops' as const };
  const admin = { keyId: 'root', role: 'admin' as const };
  const vendor = { keyId: 'acme-portal', role: 'vendor' as const, vendorId: 'acme' };

  it('lets anyone through public routes', () => {
    expect(checkAccess('public', undefined)).toBe('allowed');
  });

  it('asks for a key on every other route', () => {
    expect(checkAccess('customer', undefined)).toBe('unauthenticated');
    expect(checkAccess('admin', undefined)).toBe('unauthenticated');
  });

  it('ranks admin over ops over customer', () => {
    expect([checkAccess('customer', customer), checkAccess('ops', customer), checkAccess('admin', customer)]).toEqual(['allowed', 'forbidden', 'forbidden']);
    expect([checkAccess('customer', ops), checkAccess('ops', ops), checkAccess('admin', ops)]).toEqual(['allowed', 'allowed', 'forbidden']);
    expect([checkAccess('customer', admin), checkAccess('ops', admin), checkAccess('admin', admin)]).toEqual(['allowed', 'allowed', 'allowed']);
  });

  it.each([
    ['customer', ['allowed', 'forbidden', 'allowed', 'allowed']],
    ['vendor', ['forbidden', 'allowed', 'allowed', 'allowed']],
    ['customer-or-vendor', ['allowed', 'allowed', 'allowed', 'allowed']],
    ['ops', ['forbidden', 'forbidden', 'allowed', 'allowed']],
    ['admin', ['forbidden', 'forbidden', 'forbidden', 'allowed']],
  ] as const)('lets through a %s route: customer, vendor, ops, admin → %j', (access, verdicts) => {
    expect([customer, vendor, ops, admin].map((principal) => checkAccess(access, principal))).toEqual(verdicts);
  });

  it("keeps a customer key to its own customer's data, and not the others", () => {
    expect(mayActFor(customer, 'cust-1')).toBe(true);
    expect(mayActFor(customer, 'cust-2')).toBe(false);
    expect(mayActFor(customer, undefined)).toBe(false);
    expect(mayActFor(ops, 'cust-2')).toBe(true);
    expect(mayActFor(admin, undefined)).toBe(true);
    expect(mayActFor(vendor, 'cust-1')).toBe(false);
  });

  it('names the actor for the services: the customer or vendor for their keys, the key for staff', () => {
    expect(actorHeaders(customer)).toEqual({ 'x-actor': 'customer:cust-1', 'x-actor-role': 'customer' });
    expect(actorHeaders(ops)).toEqual({ 'x-actor': 'ops:desk', 'x-actor-role': 'ops' });
    expect(actorHeaders(vendor)).toEqual({ 'x-actor': 'vendor:acme', 'x-actor-role': 'vendor' });
    expect(actorHeaders(undefined)).toEqual({});
  });
});
