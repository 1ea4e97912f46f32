import { describe, expect, it } from 'vitest';
import { httpFailure } from '../drive';
import { failuresByKind } from './sustained';

describe('failuresByKind', () => {
  it('groups failures by what went wrong, most frequent first, with the first and last second each was seen', () => {
    const start = 1_000_000;
    const failures = failuresByKind(
      [
        { failure: 'POST: HTTP 503 OVERLOADED Too many requests in progress (from /orders)', failedAt: start + 241_500 },
        {},
        { failure: 'pay: HTTP 500 boom', failedAt: start + 10_000 },
        { failure: 'POST: HTTP 503 OVERLOADED Too many requests in progress (from /orders)', failedAt: start + 246_900 },
        { failure: 'POST: HTTP 503 OVERLOADED Too many requests in progress (from /orders)', failedAt: start + 243_000 },
      ],
      start,
    );
    expect(failures).toEqual([
      { what: 'POST: HTTP 503 OVERLOADED Too many requests in progress (from /orders)', times: 3, fromS: 241, toS: 246 },
      { what: 'pay: HTTP 500 boom', times: 1, fromS: 10, toS: 10 },
    ]);
  });
});

describe('httpFailure', () => {
  it('names the path of the service that wrote the problem, ids and query left out', () => {
    const body = { code: 'OVERLOADED', title: 'Too many requests in progress', instance: '/orders/4b0c2a5e-8f1d-4c7a-9e3b-2d6f8a1b0c9d/cancel?force=1' };
    expect(httpFailure('POST', { statusCode: 503, body })).toBe('POST: HTTP 503 OVERLOADED Too many requests in progress (from /orders/:id/cancel)');
    expect(httpFailure('POST', { statusCode: 502, body: { title: 'Bad gateway 42' } })).toBe('POST: HTTP 502 Bad gateway N');
  });
});
