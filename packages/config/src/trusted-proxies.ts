import { BlockList, isIP } from 'node:net';

/**
 * Which callers may name a request's flow: their `x-request-id`, `x-correlation-id` and
 * `traceparent` are continued (and their `X-Forwarded-For` believed). Anyone else gets a fresh
 * request id, correlation id and trace; what they sent is kept only as the client's own id.
 */
export type CallerTrust = (address: string | undefined) => boolean;

/** `10.0.0.0/8`, `::1/128` or a single address; throws on anything else (env.ts reports it). */
function parseEntry(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText] = entry.split('/');
  const version = isIP(address);
  if (version === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) throw new Error(`"${entry}" has no valid prefix length`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Checks every entry of a CIDR list; the message names the first bad one. */
export function invalidCidr(entries: readonly string[]): string | undefined {
  for (const entry of entries) {
    try {
      parseEntry(entry);
    } catch (error) {
      return (error as Error).message;
    }
  }
  return undefined;
}

/** `undefined` trusts every caller (an internal service behind the gateway); a list trusts only those ranges. */
export function callerTrust(ranges: readonly string[] | undefined): CallerTrust {
  if (ranges === undefined) return () => true;
  const trusted = new BlockList();
  for (const entry of ranges) {
    const { address, prefix, family } = parseEntry(entry);
    trusted.addSubnet(address, prefix, family);
  }
  return (address) => {
    if (!address) return false;
    // An IPv4 caller on a dual-stack socket shows as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const version = isIP(plain);
    return version !== 0 && trusted.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  };
}
