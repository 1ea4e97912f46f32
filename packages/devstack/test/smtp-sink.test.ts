import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSmtpSink, type SinkMessage, type SmtpSinkHandle } from '../src/index';

/** A minimal SMTP client: sends one message, checking every reply code. */
async function sendRaw(port: number, envelope: { from: string; to: string[] }, data: string): Promise<void> {
  const socket: Socket = connect({ port, host: '127.0.0.1' });
  socket.setEncoding('utf8');
  let buffer = '';
  const waiters: Array<(reply: string) => void> = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    // A reply ends with a line "NNN text" (multi-line replies use "NNN-").
    for (;;) {
      const match = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buffer);
      if (!match) return;
      const end = match.index + match[0].length;
      const reply = buffer.slice(0, end);
      buffer = buffer.slice(end);
      waiters.shift()?.(reply);
    }
  });
  const reply = (): Promise<string> => new Promise((resolve) => waiters.push(resolve));
  const expectCode = async (pending: Promise<string>, code: string): Promise<void> => {
    const text = await pending;
    if (!text.trimStart().startsWith(code) && !text.includes(`\r\n${code} `)) throw new Error(`expected ${code}, got ${text}`);
  };
  const command = (line: string, code: string): Promise<void> => {
    const pending = reply();
    socket.write(line + '\r\n');
    return expectCode(pending, code);
  };
  try {
    await expectCode(reply(), '220');
    await command('EHLO test.local', '250');
    await command(`MAIL FROM:<${envelope.from}>`, '250');
    for (const to of envelope.to) await command(`RCPT TO:<${to}>`, '250');
    await command('DATA', '354');
    const body = data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    await command(`${body}\r\n.`, '250');
    await command('QUIT', '221');
  } finally {
    socket.destroy();
  }
}

const multipart = (subject: string, to: string): string => `From: "Shop" <orders@shop.local>
To: Ada Lovelace <${to}>
Subject: ${subject}
Message-ID: <${subject.replace(/\W/g, '')}@shop.local>
Date: Tue, 04 Mar 2025 10:00:00 +0000
X-Order-Id: ord_123
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Your order ord_123 has shipped.
--b1
Content-Type: text/html; charset=utf-8

<p>Your order <b>ord_123</b> has shipped.</p>
--b1--
`;

describe('startSmtpSink', () => {
  let sink: SmtpSinkHandle;

  beforeAll(async () => {
    sink = await startSmtpSink({ smtpPort: await freePort(), httpPort: await freePort() });
  });
  afterAll(async () => {
    await sink?.stop();
  });

  it('receives and parses a message sent over plain SMTP', async () => {
    sink.clear();
    const waiting = sink.waitForMessages((message) => message.subject === 'Order shipped', { timeoutMs: 5_000 });
    await sendRaw(sink.smtpPort, { from: 'orders@shop.local', to: ['ada@example.com', 'audit@shop.local'] }, multipart('Order shipped', 'ada@example.com'));
    const [message] = await waiting;
    expect(message).toMatchObject({
      id: expect.any(String),
      messageId: '<Ordershipped@shop.local>',
      from: 'Shop <orders@shop.local>',
      to: ['ada@example.com'],
      subject: 'Order shipped',
      envelope: { from: 'orders@shop.local', to: ['ada@example.com', 'audit@shop.local'] },
    } satisfies Partial<SinkMessage>);
    expect(message?.text.trim()).toBe('Your order ord_123 has shipped.');
    expect(message?.html).toContain('<b>ord_123</b>');
    expect(message?.headers['x-order-id']).toBe('ord_123');
    expect(message?.headers['to']).toBe('Ada Lovelace <ada@example.com>');
    expect(message?.headers['date']).toBe('2025-03-04T10:00:00.000Z');
    expect(Date.parse(message?.receivedAt ?? '')).not.toBeNaN();
    expect(sink.messages()).toHaveLength(1);
  });

  it('waitForMessages waits for a count, includes earlier messages, and times out with context', async () => {
    sink.clear();
    await sendRaw(sink.smtpPort, { from: 'a@x.test', to: ['bob@example.com'] }, 'Subject: one\n\nfirst');
    const both = sink.waitForMessages((message) => message.to.includes('bob@example.com'), { count: 2, timeoutMs: 5_000 });
    await sendRaw(sink.smtpPort, { from: 'a@x.test', to: ['carol@example.com'] }, 'Subject: other\n\nnot for bob');
    await sendRaw(sink.smtpPort, { from: 'a@x.test', to: ['bob@example.com'] }, 'Subject: two\n\nsecond');
    expect((await both).map((message) => message.subject)).toEqual(['one', 'two']);
    // Header-less To: the envelope recipients stand in.
    expect(sink.messages()[0]?.to).toEqual(['bob@example.com']);
    expect(sink.messages()[0]?.html).toBeNull();

    await expect(sink.waitForMessages((message) => message.subject === 'never', { timeoutMs: 200 })).rejects.toThrow(
      /0 of 1 expected messages[\s\S]*to carol@example.com: other/,
    );
  });

  it('serves the inbox page and JSON API', async () => {
    sink.clear();
    await sendRaw(sink.smtpPort, { from: 'orders@shop.local', to: ['ada@example.com'] }, multipart('Api check', 'ada@example.com'));
    await sink.waitForMessages((message) => message.subject === 'Api check');

    const page = await fetch(`${sink.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<title>Inbox/);

    const list = (await (await fetch(`${sink.httpUrl}/api/messages`)).json()) as SinkMessage[];
    expect(list.map((message) => message.subject)).toEqual(['Api check']);
    const id = list[0]!.id;

    const one = await fetch(`${sink.httpUrl}/api/messages/${id}`);
    expect(((await one.json()) as SinkMessage).html).toContain('ord_123');
    const html = await fetch(`${sink.httpUrl}/api/messages/${id}/html`);
    expect(html.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(await html.text()).toContain('<b>ord_123</b>');
    expect((await fetch(`${sink.httpUrl}/api/messages/nope`)).status).toBe(404);

    const deleted = await fetch(`${sink.httpUrl}/api/messages`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await (await fetch(`${sink.httpUrl}/api/messages`)).json()).toEqual([]);
    expect(sink.messages()).toEqual([]);
  });

  it("answers Mailpit's search by Message-ID, with or without brackets", async () => {
    sink.clear();
    await sendRaw(sink.smtpPort, { from: 'orders@shop.local', to: ['ada@example.com'] }, multipart('Search me', 'ada@example.com'));
    await sink.waitForMessages((message) => message.subject === 'Search me');
    const search = async (query: string) =>
      (await (await fetch(`${sink.httpUrl}/api/v1/search?query=${encodeURIComponent(query)}`)).json()) as { messages_count: number; messages: Array<{ MessageID: string; Subject: string }> };
    const found = await search('message-id:<Searchme@shop.local>');
    expect(found).toMatchObject({ messages_count: 1, messages: [{ MessageID: 'Searchme@shop.local', Subject: 'Search me' }] });
    expect((await search('message-id:"Searchme@shop.local" to:ada@example.com')).messages_count).toBe(1);
    expect((await search('message-id:other@shop.local')).messages_count).toBe(0);
  });

  it('fails to start on a taken port', async () => {
    await expect(startSmtpSink({ smtpPort: sink.smtpPort, httpPort: 0 })).rejects.toThrow(/EADDRINUSE/);
  });
});
