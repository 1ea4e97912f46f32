import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpMailer, type Mailer } from '../src/adapters/mailer';
import { certainlyNotSent, isPermanent } from '../src/adapters/provider-error';

/**
 * What a failed send tells the delivery about the relay: nodemailer against a scripted relay on
 * loopback, one failure per stage. Only a failure the relay answered, or one before it could
 * have the message, is "certainly not sent"; a connection that dies or falls silent once the
 * message went out leaves the outcome unknown (the delivery then asks the relay before resending).
 */

type Step = 'greeting' | 'ehlo' | 'mail' | 'rcpt' | 'data' | 'end-of-data';
/** At `at`, the relay answers `reply`, drops the connection, or says nothing at all. */
type Fault = { at: Step } & ({ reply: string } | { drop: true } | { silent: true });

const servers: Server[] = [];
const mailers: Mailer[] = [];

afterEach(async () => {
  for (const mailer of mailers.splice(0)) mailer.close();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A minimal SMTP relay that follows the happy path except at the faulty step. */
async function scriptedRelay(fault: Fault): Promise<string> {
  const server = createServer((socket: Socket) => {
    const respond = (step: Step, ok: string): void => {
      if (fault.at !== step) return void socket.write(`${ok}\r\n`);
      if ('reply' in fault) socket.write(`${fault.reply}\r\n`);
      else if ('drop' in fault) socket.destroy();
    };
    let inData = false;
    let buffer = '';
    socket.on('error', () => {});
    respond('greeting', '220 relay ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      if (inData) {
        if (!buffer.includes('\r\n.\r\n')) return;
        inData = false;
        buffer = '';
        return respond('end-of-data', '250 queued');
      }
      let line: number;
      while ((line = buffer.indexOf('\r\n')) >= 0) {
        const command = buffer.slice(0, line).toUpperCase();
        buffer = buffer.slice(line + 2);
        if (command.startsWith('EHLO')) respond('ehlo', '250 relay');
        else if (command.startsWith('MAIL')) respond('mail', '250 sender ok');
        else if (command.startsWith('RCPT')) respond('rcpt', '250 recipient ok');
        else if (command === 'DATA') {
          inData = fault.at !== 'data' || !('reply' in fault);
          respond('data', '354 go ahead');
        } else if (command === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failedSend(smtpUrl: string): Promise<unknown> {
  const mailer = createSmtpMailer(smtpUrl, 'Shop <orders@shop.local>', 1, { connectMs: 1_000, greetingMs: 300, socketMs: 600 });
  mailers.push(mailer);
  const outcome = await mailer
    .send({ to: 'buyer@example.com', subject: 'Order confirmed', html: '<p>Thanks</p>', text: 'Thanks', messageId: '<n-1@notifications.platform>' })
    .then(() => 'sent' as const, (error: unknown) => error);
  expect(outcome, 'the send failed').not.toBe('sent');
  return outcome;
}

describe('what a failed SMTP send says about the relay', () => {
  it('is certainly not sent when nothing listens (connection refused)', async () => {
    const url = await scriptedRelay({ at: 'greeting', silent: true });
    await new Promise((resolve) => servers.pop()!.close(resolve));
    expect(certainlyNotSent(await failedSend(url))).toBe(true);
  });

  it('is certainly not sent when the relay never greets', async () => {
    expect(certainlyNotSent(await failedSend(await scriptedRelay({ at: 'greeting', silent: true })))).toBe(true);
  });

  it('is certainly not sent when the relay greets with a refusal', async () => {
    expect(certainlyNotSent(await failedSend(await scriptedRelay({ at: 'greeting', reply: '421 too many connections' })))).toBe(true);
  });

  it('is certainly not sent, for good, when the relay refuses the recipient with 550', async () => {
    const error = await failedSend(await scriptedRelay({ at: 'rcpt', reply: '550 no such mailbox' }));
    expect(certainlyNotSent(error)).toBe(true);
    expect(isPermanent(error)).toBe(true);
  });

  it('is certainly not sent, for now, when the relay refuses the DATA command or the message itself', async () => {
    for (const fault of [{ at: 'data', reply: '451 try later' }, { at: 'end-of-data', reply: '452 mailbox full' }] as const) {
      const error = await failedSend(await scriptedRelay(fault));
      expect(certainlyNotSent(error), fault.at).toBe(true);
      expect(isPermanent(error), fault.at).toBe(false);
    }
  });

  it('is unknown when the connection dies after the whole message went out (the relay may have taken it)', async () => {
    expect(certainlyNotSent(await failedSend(await scriptedRelay({ at: 'end-of-data', drop: true })))).toBe(false);
  });

  it('is unknown when the relay falls silent after the whole message went out (timeout waiting for the final reply)', async () => {
    expect(certainlyNotSent(await failedSend(await scriptedRelay({ at: 'end-of-data', silent: true })))).toBe(false);
  });

  it('is unknown when the connection dies mid-conversation: nodemailer does not say at which step', async () => {
    expect(certainlyNotSent(await failedSend(await scriptedRelay({ at: 'mail', drop: true })))).toBe(false);
  });
});
