import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, isTransient } from './errors';

/** An error as Prisma's driver adapter throws it: the failure's kind in its cause. */
const driverError = (kind: string) => Object.assign(new Error(`driver: ${kind}`), { name: 'DriverAdapterError', cause: { kind } });

describe('isTransient', () => {
  it('knows an unavailable database as Prisma reports it and as its driver adapter does', () => {
    expect(isTransient(Object.assign(new Error('unreachable'), { code: 'P1001' }))).toBe(true);
    for (const kind of ['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionAlreadyClosed']) {
      expect(isTransient(driverError(kind))).toBe(true);
    }
    expect(isTransient(new Error('wrapped', { cause: driverError('ConnectionClosed') }))).toBe(true);
  });

  it('does not take a refused statement for an outage', () => {
    expect(isTransient(driverError('UniqueConstraintViolation'))).toBe(false);
    expect(isTransient(driverError('postgres'))).toBe(false);
    expect(isTransient(new Error('bug'))).toBe(false);
  });

  it('knows an error that says so itself', () => {
    expect(isTransient(new DependencyUnavailableError('smtp down'))).toBe(true);
  });
});
