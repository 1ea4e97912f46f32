import { describe, expect, it } from 'vitest';
import { quietHoursEnd } from './quiet-hours';

const night = { start: '22:00', end: '08:00' };
const at = (iso: string) => new Date(iso);

describe('quietHoursEnd', () => {
  it('is null outside quiet hours', () => {
    // 12:00 in Madrid (UTC+1 in November).
    expect(quietHoursEnd(at('2026-11-22T11:00:00Z'), night, 'Europe/Madrid')).toBeNull();
    // 21:59 local: still allowed.
    expect(quietHoursEnd(at('2026-11-22T20:59:00Z'), night, 'Europe/Madrid')).toBeNull();
  });

  it('ends the next morning when the window started this evening (crossing midnight)', () => {
    // 23:30 in Madrid → 08:00 Madrid next day = 07:00 UTC.
    expect(quietHoursEnd(at('2026-11-22T22:30:00Z'), night, 'Europe/Madrid')).toEqual(at('2026-11-23T07:00:00Z'));
    // 22:00 exactly is inside.
    expect(quietHoursEnd(at('2026-11-22T21:00:00Z'), night, 'Europe/Madrid')).toEqual(at('2026-11-23T07:00:00Z'));
  });

  it('ends this morning after midnight', () => {
    // 03:00 in Madrid.
    expect(quietHoursEnd(at('2026-11-23T02:00:00Z'), night, 'Europe/Madrid')).toEqual(at('2026-11-23T07:00:00Z'));
    // 08:00 local: over.
    expect(quietHoursEnd(at('2026-11-23T07:00:00Z'), night, 'Europe/Madrid')).toBeNull();
  });

  it("reads the clock in the customer's timezone, not the server's", () => {
    const instant = at('2026-11-22T23:00:00Z'); // 00:00 Madrid, 18:00 New York, 08:00 Tokyo
    expect(quietHoursEnd(instant, night, 'Europe/Madrid')).toEqual(at('2026-11-23T07:00:00Z'));
    expect(quietHoursEnd(instant, night, 'America/New_York')).toBeNull();
    expect(quietHoursEnd(instant, night, 'Asia/Tokyo')).toBeNull();
    // 04:30 in Kolkata (UTC+5:30) → 08:00 IST = 02:30 UTC.
    expect(quietHoursEnd(at('2026-11-22T23:00:00Z'), night, 'Asia/Kolkata')).toEqual(at('2026-11-23T02:30:00Z'));
  });

  it('handles a window inside one day', () => {
    const siesta = { start: '14:00', end: '16:00' };
    expect(quietHoursEnd(at('2026-11-22T14:30:00Z'), siesta, 'UTC')).toEqual(at('2026-11-22T16:00:00Z'));
    expect(quietHoursEnd(at('2026-11-22T16:00:00Z'), siesta, 'UTC')).toBeNull();
  });

  it('has no quiet hours when none are set or start equals end', () => {
    expect(quietHoursEnd(at('2026-11-22T23:00:00Z'), null, 'UTC')).toBeNull();
    expect(quietHoursEnd(at('2026-11-22T23:00:00Z'), { start: '22:00', end: '22:00' }, 'UTC')).toBeNull();
  });

  it('keeps wall-clock 08:00 across a DST change during the night', () => {
    // Night of 28→29 March 2026: Madrid moves from UTC+1 to UTC+2 at 02:00. 23:00 local on the 28th = 22:00 UTC.
    expect(quietHoursEnd(at('2026-03-28T22:00:00Z'), night, 'Europe/Madrid')).toEqual(at('2026-03-29T06:00:00Z'));
    // Night of 24→25 October 2026: back to UTC+1. 23:00 local (UTC+2) = 21:00 UTC → 08:00 UTC+1 = 07:00 UTC.
    expect(quietHoursEnd(at('2026-10-24T21:00:00Z'), night, 'Europe/Madrid')).toEqual(at('2026-10-25T07:00:00Z'));
  });

  it('moves an end that falls in the spring-forward gap to just after it', () => {
    // Quiet until 02:30, which does not exist in Madrid on 29 March 2026 (02:00 → 03:00): 03:30 local = 01:30 UTC.
    expect(quietHoursEnd(at('2026-03-28T23:30:00Z'), { start: '00:00', end: '02:30' }, 'Europe/Madrid')).toEqual(at('2026-03-29T01:30:00Z'));
  });
});
