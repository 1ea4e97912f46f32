import { describe, expect, it } from 'vitest';
import { findUnstorableText, parseStorableJson, unstorableTextReason } from './text';

describe('text PostgreSQL can store', () => {
  it('accepts well-formed text, emoji (a surrogate pair) included', () => {
    expect(unstorableTextReason('Ana García 😀 Москва')).toBeUndefined();
    expect(findUnstorableText({ a: ['x', { b: 'y' }], n: 1, t: true, z: null })).toBeUndefined();
  });

  it('refuses lone surrogates and NUL, pointing at the first one', () => {
    expect(unstorableTextReason('Fu\ud800zz')).toMatch(/well-formed/);
    expect(unstorableTextReason('\udfff')).toMatch(/well-formed/);
    expect(unstorableTextReason('a\u0000b')).toMatch(/NUL/);
    expect(findUnstorableText(JSON.parse('{"customer":{"name":"Fu\\ud800zz"}}'))?.pointer).toBe('/customer/name');
    expect(findUnstorableText(JSON.parse('{"items":[{"name":"ok"},{"name":"x\\u0000"}]}'))?.pointer).toBe('/items/1/name');
    expect(findUnstorableText(JSON.parse('{"a":"ok","b":"\\ud800","c":"\\ud800"}'))?.pointer).toBe('/b');
    expect(findUnstorableText('\ud800')?.pointer).toBe('/');
  });

  it('checks member names too, and escapes the pointer', () => {
    expect(findUnstorableText(JSON.parse('{"meta":{"k\\ud800":1}}'))).toEqual({ pointer: '/meta/k\ufffd', detail: expect.stringMatching(/member name/) });
    expect(findUnstorableText({ 'a/b': { '~': '\u0000' } })?.pointer).toBe('/a~1b/~0');
  });

  it('walks a deeply nested document without exhausting the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}"\\ud800"${']'.repeat(100_000)}`);
    expect(findUnstorableText(deep)?.pointer).toBe('/0'.repeat(100_000));
  });

  it('mends a provider body instead of refusing it: U+FFFD for a lone surrogate, NUL dropped, member names too', () => {
    const mended = parseStorableJson('{"scan":{"description":"Fu\\ud800zz\\u0000","k\\udfff":["\\ud800"]},"n":1}');
    expect(mended).toEqual({ scan: { description: 'Fu\ufffdzz', 'k\ufffd': ['\ufffd'] }, n: 1 });
    expect(findUnstorableText(mended)).toBeUndefined();
    expect(() => parseStorableJson('{')).toThrow(SyntaxError);
  });
});
