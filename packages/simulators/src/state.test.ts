import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimulatorState, stringifyInSlices } from './state';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const initial = () => ({ orders: new Map<string, { id: string; stage: string }>(), tokens: new Set<string>(), messages: [] as string[], lastId: 100 });

describe('SimulatorState', () => {
  it('without a file keeps everything in memory and writes nothing', async () => {
    const state = await SimulatorState.open();
    const kept = state.keep('cj', 'objects', initial);
    kept.tokens.add('t1');
    state.changed();
    await state.close();
    expect(readdirSync(dir)).toEqual([]);
    expect((await SimulatorState.open()).keep('cj', 'objects', initial).tokens.size).toBe(0);
  });

  it('gives back what was kept, Maps and Sets included, after a close and a new open', async () => {
    const file = join(dir, 'nested', 'simulators.json');
    const first = await SimulatorState.open(file);
    const kept = first.keep('cj', 'objects', initial);
    kept.orders.set('SD1', { id: 'SD1', stage: 'placed' });
    kept.tokens.add('t1');
    kept.messages.push('hello');
    kept.lastId += 1;
    first.keep('cj', 'switch', () => ({ behaviour: { mode: 'ok' } })).behaviour = { mode: 'reject' };
    await first.close();

    const second = await SimulatorState.open(file);
    const restored = second.keep('cj', 'objects', initial);
    expect(restored.orders).toEqual(new Map([['SD1', { id: 'SD1', stage: 'placed' }]]));
    expect(restored.tokens).toEqual(new Set(['t1']));
    expect(restored).toMatchObject({ messages: ['hello'], lastId: 101 });
    expect(second.keep('cj', 'switch', () => ({ behaviour: { mode: 'ok' } })).behaviour).toEqual({ mode: 'reject' });
    // A provider that stored nothing yet starts from its initial objects.
    expect(second.keep('fcm', 'objects', () => ({ messages: ['fresh'] })).messages).toEqual(['fresh']);
  });

  it('fills fields a saved provider lacks from its initial objects (a field added since)', async () => {
    const file = join(dir, 'simulators.json');
    const first = await SimulatorState.open(file);
    first.keep('stripe', 'objects', () => ({ sessions: new Map([['cs_1', 1]]) }));
    await first.close();
    const second = await SimulatorState.open(file);
    const restored = second.keep('stripe', 'objects', () => ({ sessions: new Map<string, number>(), refunds: new Map<string, number>() }));
    expect(restored.sessions.get('cs_1')).toBe(1);
    expect(restored.refunds).toEqual(new Map());
  });

  it('writes a burst of changes together, about a second after the first, atomically, without waiting for close', async () => {
    const file = join(dir, 'simulators.json');
    const state = await SimulatorState.open(file);
    const kept = state.keep('twilio', 'objects', initial);
    for (let i = 0; i < 50; i++) {
      kept.messages.push(`m${i}`);
      state.changed();
    }
    await sleep(200);
    expect(existsSync(file)).toBe(false);
    await vi.waitFor(() => expect(existsSync(file)).toBe(true), { timeout: 5_000, interval: 50 });
    expect(JSON.parse(readFileSync(file, 'utf8')).providers.twilio.objects.messages).toHaveLength(50);
    // Written to a temporary file and renamed: nothing else is left in the folder.
    expect(readdirSync(dir)).toEqual(['simulators.json']);
    await state.close();
  });

  it('refuses a file it cannot read, naming it and the way out', async () => {
    const file = join(dir, 'simulators.json');
    writeFileSync(file, '{"version": 0}');
    await expect(SimulatorState.open(file)).rejects.toThrow(`${file} is not a simulator state file (version 1); delete it to start the simulators empty`);
    writeFileSync(file, '{"version": 1, "provid');
    await expect(SimulatorState.open(file)).rejects.toThrow(/is not a simulator state file/);
  });

  it('serializes a piece at a time to the text JSON.stringify gives, letting the event loop run in between', async () => {
    const value = {
      version: 1,
      providers: {
        stripe: {
          objects: {
            sessions: new Map<string, unknown>(Array.from({ length: 500 }, (_, i) => [`cs_${i}`, { id: `cs_${i}`, paid: i % 2 === 0, at: new Date(i * 1000), note: undefined }])),
            seen: new Set(['a', 'b']),
            list: [1, 'two', null, undefined, () => 3, { nested: new Map([['k', [new Set([1])]]]) }],
            // Many items: written one by one, a left-out one as null.
            long: Array.from({ length: 40 }, (_, i) => (i % 7 === 0 ? undefined : i % 11 === 0 ? () => i : { i, at: new Date(i) })),
            empty: {},
            skipped: undefined,
            text: 'line\n"quoted"',
          },
        },
      },
    };
    const encode = (_key: string, v: unknown) => (v instanceof Map ? { $map: [...v] } : v instanceof Set ? { $set: [...v] } : v);
    let turns = 0;
    const counting = setInterval(() => (turns += 1), 0);
    try {
      const { text, busyMs } = await stringifyInSlices(value, 0);
      expect(text).toBe(JSON.stringify(value, encode));
      expect(busyMs).toBeGreaterThan(0);
      // With a slice of 0 ms every piece gives the loop a turn: the interval ran while it worked.
      expect(turns).toBeGreaterThan(0);
    } finally {
      clearInterval(counting);
    }
  });
});
