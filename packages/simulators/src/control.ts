import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * How a simulated provider answers its API calls, switched at run time by tests and by
 * people trying failure paths (`POST /<provider>/_sim/behaviour`):
 * - `ok`: the documented success answer.
 * - `reject`: the documented business refusal (e.g. AliExpress `is_success:false`, CJ `result:false`).
 * - `error`: HTTP 500/503, as a provider outage looks.
 * - `timeout`: accept the connection and never answer (the caller's timeout fires).
 * - `slow`: answer correctly after `delayMs`.
 * `times` limits a switch to the next N calls, then it reverts to `ok`; otherwise it stays on
 * (across restarts, with a state file) until switched again: `DELETE /<provider>/_sim/behaviour`
 * resets one provider, `DELETE /_sim/behaviour` all of them.
 */
export type SimMode = 'ok' | 'reject' | 'error' | 'timeout' | 'slow';

export interface Behaviour {
  mode: SimMode;
  delayMs: number;
  /** Remaining calls this behaviour applies to; null = until switched again. */
  times: number | null;
  /** Provider-specific extras (e.g. the rejection reason, or `confirm: false` for a supplier that never confirms). */
  options: Record<string, unknown>;
}

export interface RecordedRequest {
  at: string;
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: unknown;
  /** What the simulator did: `ok`, `reject`, `error`, `timeout`, `slow`, or `unauthorized`. */
  outcome: string;
}

const OK: Behaviour = { mode: 'ok', delayMs: 0, times: null, options: {} };

/** Where a switch stands; the object is the one the state file saves. */
export interface SwitchState {
  behaviour: Behaviour;
}

/** A switch at rest: every call answers normally. */
export const switchAtRest = (): SwitchState => ({ behaviour: { ...OK } });

/** One provider's switch, request log and control routes under `/_sim`. */
export class SimulatorControl {
  /** The calls of this run (not saved: a log to look at, not provider state). */
  readonly requests: RecordedRequest[] = [];

  constructor(
    readonly provider: string,
    private readonly state: SwitchState,
  ) {}

  /** The behaviour for this call (consumes one of `times`). */
  next(): Behaviour {
    const current = this.state.behaviour;
    if (current.times !== null) {
      current.times -= 1;
      if (current.times <= 0) this.reset();
    }
    return current;
  }

  peek(): Behaviour {
    return this.state.behaviour;
  }

  set(behaviour: Partial<Behaviour>): Behaviour {
    this.state.behaviour = { ...OK, ...behaviour, options: behaviour.options ?? {} };
    return this.state.behaviour;
  }

  /** Back to `ok`, for every call from now on. */
  reset(): Behaviour {
    return this.set({ mode: 'ok' });
  }

  record(request: FastifyRequest, outcome: string): void {
    this.requests.push({
      at: new Date().toISOString(),
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body,
      outcome,
    });
    if (this.requests.length > 1000) this.requests.shift();
  }

  /**
   * Applies `error`, `timeout` and `slow` for the provider: returns true when the reply was
   * already handled (error/timeout), false when the route should answer (ok/slow/reject).
   */
  async applyFailure(behaviour: Behaviour, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (behaviour.mode === 'slow' && behaviour.delayMs > 0) await sleep(behaviour.delayMs);
    if (behaviour.mode === 'error') {
      this.record(request, 'error');
      await reply.code(Number(behaviour.options.status ?? 503)).send({ error: 'simulated outage' });
      return true;
    }
    if (behaviour.mode === 'timeout') {
      this.record(request, 'timeout');
      // Hold the request until the caller gives up (or the server closes).
      await new Promise<void>((resolve) => request.raw.once('close', resolve));
      return true;
    }
    return false;
  }

  /** `GET/POST/DELETE /_sim/behaviour`, `GET/DELETE /_sim/requests` under the provider's prefix. */
  registerRoutes(app: FastifyInstance): void {
    app.get('/_sim/behaviour', async () => this.peek());
    app.post('/_sim/behaviour', async (request) => {
      const body = (request.body ?? {}) as Partial<Behaviour>;
      const modes: SimMode[] = ['ok', 'reject', 'error', 'timeout', 'slow'];
      if (body.mode && !modes.includes(body.mode)) throw Object.assign(new Error(`mode must be one of ${modes.join(', ')}`), { statusCode: 400 });
      return this.set({ mode: body.mode ?? 'ok', delayMs: Number(body.delayMs ?? 0), times: body.times ?? null, options: body.options ?? {} });
    });
    app.delete('/_sim/behaviour', async () => this.reset());
    app.get('/_sim/requests', async () => this.requests);
    app.delete('/_sim/requests', async () => {
      this.requests.length = 0;
      return { cleared: true };
    });
  }
}
