import type { ProblemField } from './problem';

/**
 * Text the platform accepts is text PostgreSQL can store, as a `text` column or inside
 * `jsonb`: well-formed Unicode (JSON's `\ud800` escape can encode half a surrogate pair, which
 * no UTF-8 database holds) and no NUL character. Refused at the boundary with its pointer,
 * instead of failing the insert later as a 500.
 */
export function unstorableTextReason(value: string): string | undefined {
  if (!value.isWellFormed()) return 'must be well-formed Unicode (a lone surrogate is not)';
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  return undefined;
}

/** One JSON Pointer (RFC 6901) segment; a bad member name is shown with U+FFFD for its lone surrogate. */
const segment = (name: string | number) => String(name).toWellFormed().replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The first string or member name in a parsed JSON document that PostgreSQL could not store,
 * as a problem field pointing at it; undefined when every piece of text is storable. Walks
 * without recursion, so a deeply nested document cannot exhaust the stack.
 */
export function findUnstorableText(document: unknown): ProblemField | undefined {
  const pending: Array<{ value: unknown; pointer: string }> = [{ value: document, pointer: '' }];
  while (pending.length > 0) {
    const { value, pointer } = pending.pop()!;
    if (typeof value === 'string') {
      const reason = unstorableTextReason(value);
      if (reason) return { pointer: pointer || '/', detail: reason };
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index -= 1) pending.push({ value: value[index], pointer: `${pointer}/${index}` });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let index = entries.length - 1; index >= 0; index -= 1) {
        const [name, member] = entries[index]!;
        const reason = unstorableTextReason(name);
        if (reason) return { pointer: `${pointer}/${segment(name)}`, detail: `member name ${reason}` };
        pending.push({ value: member, pointer: `${pointer}/${segment(name)}` });
      }
    }
  }
  return undefined;
}

/** `value` as text PostgreSQL can store: lone surrogates become U+FFFD, NUL characters are dropped. */
const storable = (value: string): string => value.toWellFormed().replaceAll('\u0000', '');

/**
 * Parses a provider's signed webhook body, mending text PostgreSQL could not store instead of
 * refusing it: a provider answered 400 retries or drops the update, and the odd character in a
 * scan's description must not cost the customer their tracking. Throws like `JSON.parse`.
 */
export function parseStorableJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'string') return storable(value);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    if (Object.keys(value).every((name) => unstorableTextReason(name) === undefined)) return value;
    return Object.fromEntries(Object.entries(value).map(([name, member]) => [storable(name), member]));
  });
}
