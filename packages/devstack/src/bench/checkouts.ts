/**
 * The checkout sessions billing opens, as the Stripe simulator sees them: the bench learns what
 * to pay from the provider's side (one listing every POLL_MS), not by polling the platform,
 * whose CPU it measures.
 */
import type { Got } from 'got';
import { sleep } from '../child';
import { describe } from '../drive';

interface ListedSession {
  id: string;
  client_reference_id: string | null;
}

export interface SeenSession {
  sessionId: string;
  /** When the bench first saw it listed (ms since epoch). */
  seenAt: number;
}

const POLL_MS = 200;

export class CheckoutWatcher {
  private readonly byOrder = new Map<string, SeenSession>();
  private cursor: string | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly listeners = new Set<(orderId: string, session: SeenSession) => void>();

  constructor(
    private readonly http: Got,
    private readonly simulatorsUrl: string,
    private readonly say: (message: string) => void,
  ) {}

  /** Skips the sessions opened before now, then watches. */
  async start(): Promise<void> {
    await this.poll(false);
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.poll(true).catch((error) => this.say(`checkout listing failed: ${describe(error)}`));
        await sleep(POLL_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  session(orderId: string): SeenSession | undefined {
    return this.byOrder.get(orderId);
  }

  /** Calls `listener` for every session seen from now on. */
  onSession(listener: (orderId: string, session: SeenSession) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async poll(record: boolean): Promise<void> {
    for (;;) {
      const query = new URLSearchParams({ limit: '1000', ...(this.cursor && { after: this.cursor }) });
      const response = await this.http.get(`${this.simulatorsUrl}/stripe/_sim/checkout/sessions?${query}`, { responseType: 'json' });
      if (response.statusCode !== 200) throw new Error(`the Stripe simulator's session listing answered ${response.statusCode}`);
      const { data, has_more: more } = response.body as { data: ListedSession[]; has_more: boolean };
      const seenAt = Date.now();
      for (const listed of data) {
        if (!record || !listed.client_reference_id || this.byOrder.has(listed.client_reference_id)) continue;
        const seen = { sessionId: listed.id, seenAt };
        this.byOrder.set(listed.client_reference_id, seen);
        for (const listener of this.listeners) listener(listed.client_reference_id, seen);
      }
      if (data.length > 0) this.cursor = data[data.length - 1]!.id;
      if (!more) return;
    }
  }
}
