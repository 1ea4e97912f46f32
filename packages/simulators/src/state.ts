import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * The simulators' memory across restarts: every provider's stored objects (checkout sessions,
 * supplier orders, parcels, messages, ...) and its failure switch, in one JSON file. Without a
 * file (tests, `pnpm simulators` without STATE_FILE) it is memory only, as a real provider's
 * sandbox would be after a reset.
 *
 * Providers hand over the very objects they work on (`keep`), so nothing has to remember to copy
 * them back; the server calls `changed()` around every request, and a write follows shortly after.
 */

const VERSION = 1;
/** A burst of requests is one write: the first change schedules it, later ones ride along. */
const MIN_WRITE_DELAY_MS = 1_000;
/**
 * Each write serializes the whole state on the event loop the simulators (and, under the
 * platform command, its log echo and mail sink) share; waiting 100× as long as the last
 * serialization took keeps that under 1 % of the loop however large the state grows (at 20×, 5 %,
 * it was a fifth of the platform command's busy time in a profile of a sustained benchmark,
 * docs/performance.md, twenty-seventh round). A stop still writes everything; a killed platform
 * command loses at most that wait (10 s for a 7 MB state).
 */
const WRITE_DELAY_PER_SERIALIZE_MS = 100;
/**
 * Serializing yields to the event loop after this long, so requests are not held behind it: after
 * a 5-minute sustained benchmark the state is 7 MB (mostly Stripe's sessions and events), one
 * `JSON.stringify` of 22–98 ms that every webhook, checkout listing and received email due
 * meanwhile waited for.
 */
const SERIALIZE_SLICE_MS = 4;

type Saved = Record<string, Record<string, unknown>>;

/** One provider's part of the state. */
export interface ProviderStore {
  /**
   * The provider's stored objects: what it kept before the last stop (fields missing there
   * from `initial()`), else `initial()`. Mutate the returned object (and the Maps, Sets and
   * arrays in it) in place: that is what gets saved. Values must be JSON, Maps and Sets.
   */
  keep<T extends object>(initial: () => T): T;
  /** Something changed outside a request (e.g. a webhook's answer arrived): save soon. */
  changed(): void;
}

export class SimulatorState {
  private readonly kept: Saved = {};
  private timer: NodeJS.Timeout | undefined;
  private writes: Promise<void> = Promise.resolve();
  private delayMs = MIN_WRITE_DELAY_MS;
  private lastWritten: string | undefined;
  private closed = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly saved: Saved,
  ) {}

  /** The state in `file` (none yet: empty); without a file, memory only. */
  static async open(file?: string): Promise<SimulatorState> {
    if (!file) return new SimulatorState(undefined, {});
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(file), { recursive: true });
      return new SimulatorState(file, {});
    }
    let parsed: { version?: unknown; providers?: Saved } | undefined;
    try {
      parsed = JSON.parse(text, decode);
    } catch {
      // reported below
    }
    if (parsed?.version !== VERSION || typeof parsed.providers !== 'object') {
      throw new Error(`${file} is not a simulator state file (version ${VERSION}); delete it to start the simulators empty`);
    }
    const state = new SimulatorState(file, parsed.providers);
    state.lastWritten = text;
    return state;
  }

  /** `provider`'s `part` (e.g. its stored objects, its switch): see `ProviderStore.keep`. */
  keep<T extends object>(provider: string, part: string, initial: () => T): T {
    const value = { ...initial(), ...(this.saved[provider]?.[part] as Partial<T> | undefined) } as T;
    (this.kept[provider] ??= {})[part] = value;
    return value;
  }

  store(provider: string): ProviderStore {
    return { keep: (initial) => this.keep(provider, 'objects', initial), changed: () => this.changed() };
  }

  /** Schedules a write (nothing to do without a file, or when one is already scheduled). */
  changed(): void {
    if (!this.file || this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write().catch((error: Error) => process.stderr.write(`simulators: could not save their state to ${this.file}: ${error.message}\n`));
    }, this.delayMs);
    // A pending write does not keep a process alive; close() writes what is left.
    this.timer.unref();
  }

  /**
   * Writes what changed since the last write, then stops writing. In one piece: nothing is served
   * any more, and a change after it would schedule no next write to complete a sliced one.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.file) await this.write(false);
  }

  /**
   * One write at a time, each the whole state: to a temporary file, then renamed over the old one.
   * Sliced, a write may hold objects as they were at different moments of it; the change that
   * made them differ has scheduled the next write, which holds them as they are.
   */
  private write(sliced = true): Promise<void> {
    const file = this.file as string;
    const next = this.writes.then(async () => {
      const state = { version: VERSION, providers: this.kept };
      const started = performance.now();
      const { text, busyMs } = sliced ? await stringifyInSlices(state, SERIALIZE_SLICE_MS) : { text: JSON.stringify(state, encode), busyMs: performance.now() - started };
      this.delayMs = Math.max(MIN_WRITE_DELAY_MS, WRITE_DELAY_PER_SERIALIZE_MS * busyMs);
      if (text === this.lastWritten) return;
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, file);
      this.lastWritten = text;
    });
    // A failed write does not stop the next one.
    this.writes = next.catch(() => {});
    return next;
  }
}

/**
 * `JSON.stringify(value, encode)`, the same text, in pieces with a turn of the event loop
 * whenever a slice has run `sliceMs`. The pieces follow the state's shape: plain objects are
 * opened down to the providers' parts (`depth`), and an array, Map or Set of many items is
 * written item by item (a session, an event) from a copy taken when it is reached; everything
 * else is one `JSON.stringify`, which keeps the cost near a single call's. Objects may change
 * between slices: each piece is as it was when written. `busyMs`: the time spent serializing,
 * without the turns given away.
 */
export async function stringifyInSlices(value: unknown, sliceMs: number, depth = 4): Promise<{ text: string; busyMs: number }> {
  const pieces: string[] = [];
  let busyMs = 0;
  let sliceStart = performance.now();
  const pause = async () => {
    const now = performance.now();
    if (now - sliceStart < sliceMs) return;
    busyMs += now - sliceStart;
    await new Promise((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
  };
  /** Writes `raw` (held under `key`); false when JSON leaves it out (undefined, a function). */
  const write = async (key: string, raw: unknown, level: number): Promise<boolean> => {
    const item = encode(key, typeof (raw as { toJSON?: unknown })?.toJSON === 'function' ? (raw as { toJSON(key: string): unknown }).toJSON(key) : raw);
    if (Array.isArray(item) && item.length >= MANY_ITEMS) {
      // A copy of a live array, which may change between slices (a list that drops its oldest
      // entry); a Map's or Set's entries are one already.
      const items = item === raw ? [...item] : item;
      pieces.push('[');
      for (let i = 0; i < items.length; i++) {
        if (i > 0) pieces.push(',');
        if (!(await write(String(i), items[i], level + 1))) pieces.push('null');
      }
      pieces.push(']');
      return true;
    }
    // A Map's or Set's stand-in (`{"$map": [...]}`) is opened at any depth, so its entries are written one by one.
    const opened = level < depth || raw instanceof Map || raw instanceof Set;
    if (opened && item !== null && typeof item === 'object' && !Array.isArray(item) && [Object.prototype, null].includes(Object.getPrototypeOf(item))) {
      pieces.push('{');
      let first = true;
      for (const [field, fieldValue] of Object.entries(item)) {
        const mark = pieces.length;
        pieces.push(`${first ? '' : ','}${JSON.stringify(field)}:`);
        if (await write(field, fieldValue, level + 1)) first = false;
        else pieces.length = mark;
      }
      pieces.push('}');
      return true;
    }
    const text = JSON.stringify(item, encode) as string | undefined;
    await pause();
    if (text === undefined) return false;
    pieces.push(text);
    return true;
  };
  await write('', value, 0);
  busyMs += performance.now() - sliceStart;
  return { text: pieces.join(''), busyMs };
}

/** An array, Map or Set of at least this many items is written item by item. */
const MANY_ITEMS = 16;

/** JSON has no Map or Set: `{"$map": [[k, v], ...]}` and `{"$set": [...]}` stand for them. */
function encode(_key: string, value: unknown): unknown {
  if (value instanceof Map) return { $map: [...value] };
  if (value instanceof Set) return { $set: [...value] };
  return value;
}

function decode(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  const record = value as { $map?: unknown; $set?: unknown };
  if (Array.isArray(record.$map)) return new Map(record.$map as Array<[unknown, unknown]>);
  if (Array.isArray(record.$set)) return new Set(record.$set);
  return value;
}
