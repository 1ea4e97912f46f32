import { describe, expect, it } from 'vitest';
import { leaseShare } from './consumer-lease';

describe('leaseShare', () => {
  it('lets the replicas hold every consumer, none more than an even spread needs', () => {
    for (let consumers = 1; consumers <= 12; consumers++) {
      for (let replicas = 1; replicas <= 8; replicas++) {
        const share = leaseShare(consumers, replicas);
        expect(share * replicas).toBeGreaterThanOrEqual(consumers);
        expect((share - 1) * replicas).toBeLessThan(consumers);
      }
    }
  });

  it('gives one replica every consumer, and splits three consumers two and one over two replicas', () => {
    expect(leaseShare(3, 1)).toBe(3);
    expect(leaseShare(3, 2)).toBe(2);
    expect(leaseShare(3, 3)).toBe(1);
    expect(leaseShare(3, 5)).toBe(1);
  });

  it('counts this replica when the count came back empty', () => {
    expect(leaseShare(3, 0)).toBe(3);
  });
});
