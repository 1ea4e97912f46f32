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
 * `times` limits a switch to the next N calls, then it reverts to `ok`.
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

/** One provider's switch, request log and control routes under `/_sim`. */
export class SimulatorControl {
  private behaviour: Behaviour = { ...OK };
  readonly requests: RecordedRequest[] = [];

  constructor(readonly provider: string) {}

  /** The behaviour for this call (consumes one of `times`). */
  next(): Behaviour {
    const current = this.behaviour;
    if (current.times !== null) {
      current.times -= 1;
      if (current.times <= 0) this.behaviour = { ...OK };
    }
    return current;
  }

  peek(): Behaviour {
    return this.behaviour;
  }

  set(behaviour: Partial<Behaviour>): Behaviour {
    this.behaviour = { ...OK, ...behaviour, options: behaviour.options ?? {} };
    return this.behaviour;
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

  /** `GET/POST /_sim/behaviour`, `GET/DELETE /_sim/requests` under the provider's prefix. */
  registerRoutes(app: FastifyInstance): void {
    app.get('/_sim/behaviour', async () => this.behaviour);
    app.post('/_sim/behaviour', async (request) => {
      const body = (request.body ?? {}) as Partial<Behaviour>;
      const modes: SimMode[] = ['ok', 'reject', 'error', 'timeout', 'slow'];
      if (body.mode && !modes.includes(body.mode)) throw Object.assign(new Error(`mode must be one of ${modes.join(', ')}`), { statusCode: 400 });
      return this.set({ mode: body.mode ?? 'ok', delayMs: Number(body.delayMs ?? 0), times: body.times ?? null, options: body.options ?? {} });
    });
    app.get('/_sim/requests', async () => this.requests);
    app.delete('/_sim/requests', async () => {
      this.requests.length = 0;
      return { cleared: true };
    });
  }
}
