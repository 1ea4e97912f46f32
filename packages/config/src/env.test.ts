import { describe, expect, it } from 'vitest';
import { ConfigError, databaseEnv, envHelpers, loadEnv, serviceEnv } from './env';

const schema = serviceEnv.extend(databaseEnv.shape).extend({ PORT: envHelpers.port.default(8081) });

describe('loadEnv', () => {
  it('applies defaults and coerces numbers', () => {
    const env = loadEnv(schema, { DATABASE_URL: 'postgresql://u:p@db:5432/orders', PORT: '9000' });
    expect(env).toMatchObject({ PORT: 9000, HOST: '0.0.0.0', NATS_URL: 'nats://127.0.0.1:4222', LOG_LEVEL: 'info' });
  });

  it('names every missing or invalid variable', () => {
    let error: unknown;
    try {
      loadEnv(schema, { PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^DATABASE_URL is missing/m);
    expect(problems).toMatch(/^PORT="eighty" is invalid/m);
    expect(problems).toMatch(/^LOG_LEVEL="loud" is invalid/m);
  });

  it('refuses a database URL of the wrong scheme', () => {
    expect(() => loadEnv(schema, { DATABASE_URL: 'mysql://u:secret@db/orders' })).toThrow(/^\s*- DATABASE_URL=\(value hidden\) is invalid: must be a URL/m);
  });
});
