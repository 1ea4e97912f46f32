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

/** Email over SMTP (the relay at SMTP_URL, `smtp://` or `smtps://`); pooled connections, bounded timeouts. */
export function createSmtpMailer(smtpUrl: string, from: string, maxConnections: number): Mailer {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  // Options spelled out: nodemailer ignores `pool` when given a `url`, and opens a connection per message.
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port) || (secure ? 465 : 587),
    secure,
    ...(url.username && { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
    pool: true,
    maxConnections,
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
  });
  return {
    async send(email) {
      let info;
      try {
        info = await transport.sendMail({ from, ...email });
      } catch (error) {
        // 550-553: the mailbox or address is refused for good; other failures (4xx, network) may pass later.
        const code = (error as { responseCode?: number }).responseCode;
        if (code && code >= 550 && code <= 553) throw new ProviderError('smtp', (error as Error).message, true);
        throw error;
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
