import { connect, createServer } from 'node:net';

/**
 * Ports handed out for servers bound later: below Linux's ephemeral range (32768–60999), where
 * the kernel never places an outgoing connection or a `listen(0)`, so nothing else takes the
 * port between this choice and the bind.
 */
const CHOSEN_PORTS = { low: 20_000, high: 32_767 };

/** A TCP port that was free on 127.0.0.1 a moment ago, outside the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = CHOSEN_PORTS.low + Math.floor(Math.random() * (CHOSEN_PORTS.high - CHOSEN_PORTS.low + 1));
    if (await isPortFree(port)) return port;
  }
  throw new Error(`could not find a free port in ${CHOSEN_PORTS.low}–${CHOSEN_PORTS.high}`);
}

/** Several distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Whether `port` can be bound on `host` right now. */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Whether something accepts TCP connections on `port` of 127.0.0.1 right now. */
export async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
