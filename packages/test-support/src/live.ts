import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import type { TimelineEntry } from '@platform/contracts/api/timeline';

/** One server-sent event as it arrived: its fields, or a comment line (a heartbeat). */
export interface ServerSentEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/**
 * A server-sent-events client over plain HTTP, reading a live stream (GW-03) as a browser's
 * EventSource does, without its automatic reconnection: a test reconnects itself, with the
 * Last-Event-ID it chooses.
 */
export class LiveClient {
  readonly received: ServerSentEvent[] = [];
  closedByServer = false;
  private buffer = '';

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly destroy: () => void,
  ) {}

  /** Opens `url` (the gateway's address and path) and resolves once the answer's head arrived. */
  static open(url: string, headers: Record<string, string> = {}): Promise<LiveClient> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        const client = new LiveClient(response.statusCode ?? 0, response.headers, () => request.destroy());
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => client.take(chunk));
        response.on('end', () => (client.closedByServer = true));
        response.on('error', () => undefined);
        resolve(client);
      });
      request.on('error', reject);
      request.end();
    });
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      const message: ServerSentEvent = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('data: ')) message.data = line.slice(6);
      }
      this.received.push(message);
    }
  }

  /** The timeline entries received, with their cursors, in order. */
  get entries(): Array<{ id: string; entry: TimelineEntry }> {
    return this.received.filter((m) => m.event === 'entry').map((m) => ({ id: m.id!, entry: JSON.parse(m.data!) as TimelineEntry }));
  }

  /** The places of the carrier scans received, in order. */
  get places(): Array<string | null> {
    return this.entries.flatMap(({ entry }) => (entry.kind === 'carrier_scan' ? [entry.location] : []));
  }

  /** The client goes away (the server sees the connection close). */
  close(): void {
    this.destroy();
  }
}
