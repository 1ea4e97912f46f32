/**
 * Makes sure child processes (nats-server, postgres, services) do not outlive the process that
 * started them.
 *
 * Children are started in their own process group (`detached: true`) so that Ctrl-C in a terminal
 * reaches only the parent, which then stops them in order (services before infrastructure). The
 * price is that the parent must stop them itself, in every way it can end:
 * - normal exit / uncaught exception: the `exit` handler signals every guarded child;
 * - SIGINT/SIGTERM/SIGHUP with nobody else handling them: signal the children, then re-raise the
 *   signal so the default behaviour (termination) still happens;
 * - SIGKILL (nothing runs in the parent): a tiny detached `sh` watchdog per child blocks reading a
 *   pipe only the parent holds open; the kernel closes it when the parent dies, however it dies, and
 *   the watchdog signals the child. (It used to poll the parent's pid every second: one `sleep`
 *   process forked per child per second, 2 % of a 2-core machine under `pnpm bench`, perf.)
 */
import { spawn } from 'node:child_process';

interface Guarded {
  signal: NodeJS.Signals;
  watchdogPid: number | undefined;
}

const guarded = new Map<number, Guarded>();
let installed = false;
const TERMINATING_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function signalAll(): void {
  for (const [pid, entry] of guarded) {
    trySignal(pid, entry.signal);
    if (entry.watchdogPid) trySignal(entry.watchdogPid, 'SIGKILL');
  }
  guarded.clear();
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', signalAll);
  for (const signal of TERMINATING_SIGNALS) {
    const handler = (): void => {
      // Somebody else (e.g. the platform command) handles this signal: they stop their stack.
      if (process.listenerCount(signal) > 1) return;
      signalAll();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/**
 * Guard a child: it receives `signal` when this process ends. Returns a function that releases the
 * guard (call it once the child has exited).
 */
export function guardChild(pid: number, signal: NodeJS.Signals = 'SIGTERM'): () => void {
  install();
  let watchdogPid: number | undefined;
  try {
    const watchdog = spawn(
      '/bin/sh',
      [
        '-c',
        // `read` returns at end of input: nothing is ever written, so only when the parent is gone.
        'read _; kill -s "$2" "$1" 2>/dev/null',
        'devstack-watchdog',
        String(pid),
        signal.replace(/^SIG/, ''),
      ],
      { detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
    );
    watchdog.on('error', () => {});
    // Neither the watchdog nor its pipe keeps this process alive.
    watchdog.stdin?.on('error', () => {});
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    watchdog.unref();
    watchdogPid = watchdog.pid;
  } catch {
    // the exit handler still covers every end but SIGKILL
  }
  guarded.set(pid, { signal, watchdogPid });
  return () => {
    const entry = guarded.get(pid);
    if (!entry) return;
    guarded.delete(pid);
    if (entry.watchdogPid) trySignal(entry.watchdogPid, 'SIGKILL');
  };
}

/** Whether a process with this pid exists (and we may signal it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
