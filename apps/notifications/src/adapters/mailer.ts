import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import nodemailer from 'nodemailer';
import { ProviderError } from './provider-error';

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Stable per notification, so a resend after a crash carries the same Message-ID and can be deduplicated downstream. */
  messageId: string;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<{ providerMessageId: string }>;
  verify(): Promise<void>;
  close(): void;
}

/** How long nodemailer waits to connect, for the relay's greeting, and through silence at any later step. */
export interface SmtpTimeouts {
  connectMs: number;
  greetingMs: number;
  socketMs: number;
}

const SMTP_TIMEOUTS: SmtpTimeouts = { connectMs: 5_000, greetingMs: 5_000, socketMs: 10_000 };

/** Email over SMTP (the relay at SMTP_URL, `smtp://` or `smtps://`); pooled connections, bounded timeouts. */
export function createSmtpMailer(smtpUrl: string, from: string, maxConnections: number, timeouts = SMTP_TIMEOUTS): Mailer {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const host = url.hostname;
  const port = Number(url.port) || (secure ? 465 : 587);
  // Options spelled out: nodemailer ignores `pool` when given a `url`, and opens a connection per message.
  const transport = nodemailer.createTransport({
    host,
    port,
    secure,
    getSocket: (_options, callback) => openSocket({ host, port, secure, timeoutMs: timeouts.connectMs }, callback),
    ...(url.username && { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
    pool: true,
    maxConnections,
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
  });
  return {
    async send(email) {
      let info;
      try {
        info = await transport.sendMail({ from, ...email });
      } catch (error) {
        throw refusal(error) ?? error;
      }
      if (info.rejected.length > 0) throw new ProviderError('smtp', `relay rejected ${info.rejected.join(', ')}`, true);
      return { providerMessageId: info.messageId };
    },
    async verify() {
      await transport.verify();
    },
    close: () => transport.close(),
  };
}

/** Connection failures before the relay greeted us (nodemailer's messages): it cannot have the message. */
const BEFORE_GREETING = ['Greeting never received', 'Invalid greeting'];

/**
 * The failure as a ProviderError when the relay certainly did not take the message, else null
 * (outcome unknown: the delivery asks the relay before sending again).
 *
 * nodemailer names the step that failed in `command`. An answer to a named step (EHLO, MAIL FROM,
 * RCPT TO, DATA, or the non-2xx reply to the message itself) or its own check before sending
 * ('API') means the relay did not take it. `CONN` is any failure of the connection, at any step,
 * including after the final dot while the relay's 250 is on its way (timeout, reset, close):
 * certain only while connecting or before the greeting. 550-553: the mailbox or address is
 * refused for good; other refusals (4xx) may pass later.
 */
function refusal(error: unknown): ProviderError | null {
  const { command, responseCode, syscall, code, message } = error as { command?: string; responseCode?: number; syscall?: string; code?: string; message?: string };
  if (command === undefined) return null;
  const neverConnected = syscall === 'connect' || code === 'EDNS' || BEFORE_GREETING.some((prefix) => message?.startsWith(prefix));
  if (command === 'CONN' && !neverConnected) return null;
  return new ProviderError('smtp', message ?? String(error), responseCode !== undefined && responseCode >= 550 && responseCode <= 553);
}

/**
 * The relay connection with Nagle's algorithm off: nodemailer writes a message's final ".\r\n"
 * apart from its body, and the kernel held it until the relay acknowledged the body (a delayed
 * ACK, ~40 ms), so every email waited that long for its "250" (48 → 3 ms per message, measured
 * against the platform's SMTP sink).
 */
function openSocket(
  target: { host: string; port: number; secure: boolean; timeoutMs: number },
  callback: (error: Error | null, socket?: { connection: Socket; secured?: boolean }) => void,
): void {
  const { host, port, secure } = target;
  const socket: Socket = secure ? connectTls({ host, port, servername: host }) : connectTcp({ host, port });
  let settled = false;
  const settle = (error: Error | null) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (error) callback(error);
    else callback(null, { connection: socket, ...(secure && { secured: true }) });
  };
  // A connect failure, as the socket's own would be: the message certainly did not go.
  const timer = setTimeout(() => {
    socket.destroy();
    settle(Object.assign(new Error(`connect ETIMEDOUT ${host}:${port}`), { code: 'ETIMEDOUT', syscall: 'connect', command: 'CONN' }));
  }, target.timeoutMs);
  socket.setNoDelay(true);
  socket.once(secure ? 'secureConnect' : 'connect', () => settle(null));
  socket.once('error', (error) => settle(error));
}
