import { dateTimeFormat } from './date-format';
import type { QuietHours } from './preferences';

/** Minutes since local midnight for `HH:MM`. */
function minutesOf(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number);
  return hours! * 60 + minutes!;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  minutes: number;
}

/** The wall-clock date and time at `instant` in `timeZone` (Intl: knows DST). */
function wallTime(instant: Date, timeZone: string): WallTime {
  const parts = Object.fromEntries(
    dateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
      .formatToParts(instant)
      .map((part) => [part.type, Number(part.value)]),
  ) as Record<string, number>;
  return { year: parts.year!, month: parts.month!, day: parts.day!, minutes: parts.hour! * 60 + parts.minute! };
}

/** Offset of `timeZone` from UTC at `instant`, in ms (Madrid in summer: +2 h). */
function offsetMs(instant: Date, timeZone: string): number {
  const wall = wallTime(instant, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, 0, wall.minutes);
  return asUtc - Math.floor(instant.getTime() / 60_000) * 60_000;
}

/**
 * The instant the wall clock in `timeZone` shows `minutes` on the given local day. A time
 * skipped by a DST jump is pushed forward by the gap (02:30 on a spring-forward night → 03:30),
 * as Temporal's "compatible" disambiguation does.
 */
function instantAt(year: number, month: number, day: number, minutes: number, timeZone: string): Date {
  const naive = Date.UTC(year, month - 1, day, 0, minutes);
  let guess = naive - offsetMs(new Date(naive), timeZone);
  // The offset at the result may differ from the one at the naive guess (DST edge): settle it.
  guess = naive - offsetMs(new Date(guess), timeZone);
  const shown = wallTime(new Date(guess), timeZone);
  if (shown.minutes !== minutes % 1440) {
    // Inside a spring-forward gap: read the wall time with the offset from before the jump.
    guess = naive - Math.min(offsetMs(new Date(naive - 86_400_000), timeZone), offsetMs(new Date(naive + 86_400_000), timeZone));
  }
  return new Date(guess);
}

/**
 * When quiet hours end, if `now` falls inside them in the customer's timezone; null when
 * sending now is fine. Windows may cross midnight (22:00–08:00); start = end means none.
 */
export function quietHoursEnd(now: Date, quietHours: QuietHours | null, timeZone: string): Date | null {
  if (!quietHours) return null;
  const start = minutesOf(quietHours.start);
  const end = minutesOf(quietHours.end);
  if (start === end) return null;
  const local = wallTime(now, timeZone);
  const inside = start < end ? local.minutes >= start && local.minutes < end : local.minutes >= start || local.minutes < end;
  if (!inside) return null;
  // The end is later today when the clock is before it, else tomorrow (window crossing midnight, evening part).
  const endsTomorrow = local.minutes >= end;
  const day = new Date(Date.UTC(local.year, local.month - 1, local.day + (endsTomorrow ? 1 : 0)));
  return instantAt(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), end, timeZone);
}
