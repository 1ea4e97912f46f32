/** Small helpers shared by the modules that run child processes. */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Keeps the last lines a process printed, for error messages. */
export class LogTail {
  private readonly lines: string[] = [];
  constructor(private readonly max = 40) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

/** Calls `onLine` for every line of `stream`. */
export function onLines(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
}

/** An append-mode log file (its folder is created). */
export function openLog(path: string): WriteStream {
  mkdirSync(dirname(path), { recursive: true });
  const stream = createWriteStream(path, { flags: 'a' });
  stream.on('error', () => {});
  return stream;
}

export function closeLog(stream: WriteStream | undefined): Promise<void> {
  if (!stream || stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.end(() => resolve()));
}

const ended = new WeakMap<ChildProcess, Promise<void>>();

/**
 * Resolves once the child has exited and its stdio is drained ('close', so no output line is
 * lost). First call it right after spawning; later calls share the same promise.
 */
export function exitOf(child: ChildProcess): Promise<void> {
  let promise = ended.get(child);
  if (!promise) {
    promise = new Promise((resolve) => {
      child.once('close', () => resolve());
      // A failed spawn emits 'error' and never 'close' on some Node versions.
      child.once('error', () => {
        if (child.pid === undefined) resolve();
      });
    });
    ended.set(child, promise);
  }
  return promise;
}

/** Sends `signal`, waits up to `timeoutMs` for the exit, then SIGKILLs and waits again. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  const exited = exitOf(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true; rejects after `timeoutMs` or as soon as `abort` rejects. */
export async function pollUntil(
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs = 100, what, abort }: { timeoutMs: number; intervalMs?: number; what: string; abort?: Promise<never> },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let aborted: unknown;
  let isAborted = false;
  abort?.catch((error: unknown) => {
    aborted = error;
    isAborted = true;
  });
  for (;;) {
    if (isAborted) throw aborted;
    if (await check().catch(() => false)) return;
    if (isAborted) throw aborted;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
