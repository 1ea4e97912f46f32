import { describe, expect, it } from 'vitest';
import { serviceEnv } from './env';
import { callerTrust } from './trusted-proxies';

describe('callerTrust', () => {
  it('trusts every caller when no list is set (services behind the gateway)', () => {
    expect(callerTrust(undefined)('203.0.113.9')).toBe(true);
  });

  it('trusts only addresses in the listed ranges, IPv4 on a dual-stack socket included', () => {
    const trusts = callerTrust(['127.0.0.0/8', '::1', '10.42.0.0/16']);
    expect(trusts('127.0.0.1')).toBe(true);
    expect(trusts('::ffff:127.0.0.1')).toBe(true);
    expect(trusts('::1')).toBe(true);
    expect(trusts('10.42.7.1')).toBe(true);
    expect(trusts('10.43.0.1')).toBe(false);
    expect(trusts('203.0.113.9')).toBe(false);
    expect(trusts('2001:db8::1')).toBe(false);
    expect(trusts(undefined)).toBe(false);
  });

  it('is refused at start-up when an entry is not an address or range', () => {
    expect(serviceEnv.safeParse({ TRUSTED_PROXIES: '10.0.0.0/8, ingress' }).success).toBe(false);
    expect(serviceEnv.safeParse({ TRUSTED_PROXIES: '10.0.0.0/33' }).success).toBe(false);
    expect(serviceEnv.parse({ TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '::1']);
  });
});
