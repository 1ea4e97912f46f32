import nodemailer from 'nodemailer';

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

/** Email over SMTP (the relay at SMTP_URL); pooled connections, bounded timeouts. */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: 5,
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
  } as nodemailer.TransportOptions);
  return {
    async send(email) {
      const info = await transport.sendMail({ from, ...email });
      if (info.rejected.length > 0) throw new Error(`SMTP relay rejected ${info.rejected.join(', ')}`);
      return { providerMessageId: info.messageId };
    },
    async verify() {
      await transport.verify();
    },
    close: () => transport.close(),
  };
}
