/**
 * A loop that runs `round` until stopped, pausing between rounds for as long as the round
 * asks. `notify()` cuts a pause short, and a notification that arrives during a round means
 * the next round starts at once (unless the round asked to back off after a failure: then
 * only the pause is cut short by a later notification). The outbox relay and the timer
 * worker run on it.
 */
export interface RoundResult {
  /** How long to pause before the next round (0: go again at once). */
  pauseMs: number;
  /** The round failed: pause even if a notification came in during it. */
  backoff?: boolean;
}

export class BackgroundLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set by notify(); a wake-up that arrives mid-round is not lost. */
  private dirty = false;

  /** `round` is told whether a notification asked for it (a round after a pause that ran out, or the first, was not asked for). */
  constructor(private readonly round: (notified: boolean) => Promise<RoundResult>) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** A notification came since the round in progress began: the next round starts at once. */
  get notifiedDuringRound(): boolean {
    return this.dirty;
  }

  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Ends after the round in progress. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const notified = this.dirty;
      this.dirty = false;
      const { pauseMs, backoff } = await this.round(notified);
      if (!this.running) break;
      if (pauseMs > 0 && (backoff || !this.dirty)) await this.sleep(pauseMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
