import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Faults between the notifications service and the SMTP sink, for the lost-outcome tests: a TCP
 * proxy in front of the sink's SMTP port that can lose the sink's answer to a message, and one
 * in front of its Mailpit search API that can be down.
 */
export interface RelayFaults {
  smtpUrl: string;
  lookupUrl: string;
  /** The next message reaches the sink and is stored, then the connection dies before the sink's 250 reaches the sender. */
  /** Loses the relay's answer to the next message for this recipient (other mail passes). */
  loseNextAnswerTo(recipient: string): void;
  /** While true, the search API answers 503. */
  lookupDown: boolean;
  stop(): Promise<void>;
}

export async function startRelayFaults(sink: { smtpPort: number; httpUrl: string }): Promise<RelayFaults> {
  // Per recipient, so mail still in flight from another test cannot take the fault meant for this one.
  const loseAnswerTo = new Set<string>();
  const sockets = new Set<Socket>();
  const smtp = createServer((client) => {
    const upstream = connect(sink.smtpPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    // The last bytes the client wrote: `\r\n.\r\n` there means the message is complete at the sink.
    let tail = '';
    let recipient: string | undefined;
    client.on('data', (chunk) => {
      const text = chunk.toString('latin1');
      recipient = /RCPT TO:<([^>]+)>/i.exec(text)?.[1]?.toLowerCase() ?? recipient;
      tail = (tail + text).slice(-5);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (recipient !== undefined && loseAnswerTo.has(recipient) && tail === '\r\n.\r\n') {
        loseAnswerTo.delete(recipient);
        client.destroy();
        upstream.destroy();
        return;
      }
      tail = '';
      client.write(chunk);
    });
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        other.destroy();
      });
    }
  });
  const faults = {
    lookupDown: false,
  };
  const lookup = createHttpServer((request, response) => {
    if (faults.lookupDown) return void response.writeHead(503).end();
    fetch(new URL(request.url ?? '/', sink.httpUrl))
      .then(async (answer) => response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text()))
      .catch(() => response.writeHead(502).end());
  });
  const port = async (server: Server | ReturnType<typeof createHttpServer>) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  const [smtpPort, lookupPort] = await Promise.all([port(smtp), port(lookup)]);
  return Object.assign(faults, {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    lookupUrl: `http://127.0.0.1:${lookupPort}`,
    loseNextAnswerTo: (email: string) => {
      loseAnswerTo.add(email.toLowerCase());
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      lookup.closeAllConnections();
      await Promise.all([smtp, lookup].map((server) => new Promise((resolve) => server.close(resolve))));
    },
  });
}
