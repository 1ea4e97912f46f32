/**
 * A local SMTP sink: accepts every message on loopback (no auth, no TLS), keeps it in memory, and
 * shows it on a small web inbox + JSON API. The platform command runs it for the notifications
 * service; tests read the received messages directly or over HTTP. It also answers Mailpit's
 * search API, which notifications asks whether a message whose outcome it lost was received.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type HeaderValue, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SinkMessage {
  /** Sink-local id ("1", "2", ...), used in the API paths. */
  id: string;
  /** The Message-ID header, or null when the message had none. */
  messageId: string | null;
  /** The From header as text (e.g. `Shop <orders@shop.local>`); the envelope sender when absent. */
  from: string;
  /** Addresses of the To header; the envelope recipients when the header is absent. */
  to: string[];
  subject: string;
  text: string;
  /** The HTML body, or null for text-only messages. */
  html: string | null;
  /** Parsed headers, lower-case names; addresses and dates rendered as text. */
  headers: Record<string, string | string[]>;
  /** What the SMTP client said in MAIL FROM / RCPT TO (includes Cc and Bcc recipients). */
  envelope: { from: string | null; to: string[] };
  /** ISO timestamp of receipt. */
  receivedAt: string;
}

export interface SmtpSinkOptions {
  /** SMTP port on 127.0.0.1 (0 = any free port). */
  smtpPort: number;
  /** Web inbox / JSON API port on 127.0.0.1 (0 = any free port). */
  httpPort: number;
}

export interface WaitForMessagesOptions {
  /** How many matching messages to wait for (default 1). */
  count?: number;
  /** Default 10 s. */
  timeoutMs?: number;
}

export interface SmtpSinkHandle {
  /** smtp://127.0.0.1:<smtpPort> */
  smtpUrl: string;
  /** http://127.0.0.1:<httpPort> (inbox page at /, JSON at /api/messages, Mailpit search at /api/v1/search) */
  httpUrl: string;
  smtpPort: number;
  httpPort: number;
  /** Received messages in arrival order (a copy). */
  messages(): SinkMessage[];
  clear(): void;
  /** Resolves with the first `count` messages matching `predicate`, including already received ones. */
  waitForMessages(predicate: (message: SinkMessage) => boolean, options?: WaitForMessagesOptions): Promise<SinkMessage[]>;
  stop(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions): Promise<SmtpSinkHandle> {
  const store: SinkMessage[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let nextId = 1;

  const smtp = new SMTPServer({
    banner: 'platform smtp sink',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    disableReverseLookup: true,
    logger: false,
    size: 25 * 1024 * 1024,
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      // The message keeps its text and HTML as sent; mailparser's HTML rendering of the text part
      // (with its links found) is not kept: a quarter to a third of the sink's CPU per message.
      simpleParser(stream, { skipTextToHtml: true, skipTextLinks: true })
        .then((parsed) => {
          const message = toSinkMessage(String(nextId++), parsed, {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
          });
          store.push(message);
          events.emit('message', message);
          callback();
        })
        .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
    },
  });
  smtp.on('error', () => {});

  const http = createServer((request, response) => {
    handleHttp(request, response, store).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: String(error) });
      else response.end();
    });
  });

  const smtpPort = await listen(smtp, (done) => smtp.listen(options.smtpPort, '127.0.0.1', done), () => smtp.server.address());
  let httpPort: number;
  try {
    httpPort = await listen(http, (done) => http.listen(options.httpPort, '127.0.0.1', done), () => http.address());
  } catch (error) {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    smtpPort,
    httpPort,
    messages: () => [...store],
    clear: () => {
      store.length = 0;
    },
    waitForMessages: (predicate, { count = 1, timeoutMs = 10_000 } = {}) =>
      new Promise((resolve, reject) => {
        const matched = store.filter(predicate);
        if (matched.length >= count) return resolve(matched.slice(0, count));
        const onMessage = (message: SinkMessage): void => {
          if (!predicate(message)) return;
          matched.push(message);
          if (matched.length >= count) {
            finish();
            resolve(matched.slice(0, count));
          }
        };
        const timer = setTimeout(() => {
          finish();
          const seen = store.map((message) => `  #${message.id} to ${message.to.join(', ')}: ${message.subject}`).join('\n');
          reject(
            new Error(
              `Timed out after ${timeoutMs} ms: ${matched.length} of ${count} expected messages arrived. ` +
                `The sink holds ${store.length} message(s)${seen ? `:\n${seen}` : ''}`,
            ),
          );
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          events.off('message', onMessage);
        };
        events.on('message', onMessage);
      }),
    stop: () =>
      (stopping ??= Promise.all([
        new Promise<void>((resolve) => smtp.close(() => resolve())),
        new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        }),
      ]).then(() => undefined)),
  };
}

function listen(
  emitter: EventEmitter,
  start: (done: () => void) => void,
  address: () => AddressInfo | string | null,
): Promise<number> {
  return new Promise((resolve, reject) => {
    // EADDRINUSE and friends arrive as 'error' events before 'listening'.
    const onError = (error: Error): void => reject(error);
    emitter.once('error', onError);
    start(() => {
      emitter.off('error', onError);
      const info = address();
      resolve(typeof info === 'object' && info ? info.port : 0);
    });
  });
}

function addressesOf(value: AddressObject | AddressObject[] | undefined): string[] {
  if (!value) return [];
  const objects = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  const visit = (entries: AddressObject['value']): void => {
    for (const entry of entries) {
      if (entry.address) out.push(entry.address);
      if (entry.group) visit(entry.group);
    }
  };
  for (const object of objects) visit(object.value);
  return out;
}

/** `Name <address>` without the quoting mailparser keeps in `.text`. */
function formatAddresses(value: AddressObject | undefined): string | undefined {
  if (!value || value.value.length === 0) return value?.text;
  return value.value.map((entry) => (entry.name && entry.address ? `${entry.name} <${entry.address}>` : entry.address || entry.name)).join(', ');
}

function headerText(value: HeaderValue): string | string[] {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => String(headerText(item)));
  if ('text' in value) return formatAddresses(value) ?? value.text;
  const params = Object.entries(value.params ?? {}).map(([key, param]) => `; ${key}=${param}`);
  return value.value + params.join('');
}

function toSinkMessage(id: string, parsed: ParsedMail, envelope: SinkMessage['envelope']): SinkMessage {
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of parsed.headers) headers[key] = headerText(value);
  const to = addressesOf(parsed.to);
  return {
    id,
    messageId: parsed.messageId ?? null,
    from: formatAddresses(parsed.from) ?? envelope.from ?? '',
    to: to.length > 0 ? to : envelope.to,
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: parsed.html === false ? null : parsed.html,
    headers,
    envelope,
    receivedAt: new Date().toISOString(),
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(payload);
}

async function handleHttp(request: IncomingMessage, response: ServerResponse, store: SinkMessage[]): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://sink.local');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = request.method ?? 'GET';
  const byId = /^\/api\/messages\/([^/]+)(\/html)?$/.exec(path);

  if (method === 'GET' && path === '/') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(INBOX_PAGE);
  } else if (method === 'GET' && path === '/api/messages') {
    sendJson(response, 200, store);
  } else if (method === 'GET' && path === '/api/v1/search') {
    sendJson(response, 200, mailpitSearch(store, url.searchParams));
  } else if (method === 'DELETE' && path === '/api/messages') {
    store.length = 0;
    response.writeHead(204).end();
  } else if (method === 'GET' && byId) {
    const message = store.find((candidate) => candidate.id === decodeURIComponent(byId[1] ?? ''));
    if (!message) return sendJson(response, 404, { error: 'message not found' });
    if (byId[2]) {
      // The message's own HTML, sandboxed: no scripts, no same-origin access.
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "sandbox; default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'",
      });
      response.end(message.html ?? `<pre>${escapeHtml(message.text)}</pre>`);
    } else {
      sendJson(response, 200, message);
    }
  } else {
    sendJson(response, path.startsWith('/api/messages') ? 405 : 404, { error: `${method} ${path} not found` });
  }
}

/** A Message-ID without its angle brackets, as Mailpit shows and searches it. */
const bareMessageId = (id: string) => id.trim().replace(/^<(.*)>$/, '$1');

/**
 * Mailpit's `GET /api/v1/search?query=…` (the same shape, so the notifications service asks this
 * sink and a real Mailpit alike): `message-id:<id>` (brackets optional, quotes allowed) and
 * `to:<address>` terms, all required; other words match the subject. Newest first, `limit`
 * (default 50) and `start`.
 */
function mailpitSearch(store: SinkMessage[], params: URLSearchParams) {
  const terms = (params.get('query') ?? '').match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
  const checks = terms.map((term): ((m: SinkMessage) => boolean) => {
    const [, field, raw = ''] = /^(?:([a-z-]+):)?(.*)$/i.exec(term) ?? [];
    const value = raw.replace(/^"(.*)"$/, '$1');
    switch (field?.toLowerCase()) {
      case 'message-id':
        return (m) => m.messageId !== null && bareMessageId(m.messageId) === bareMessageId(value);
      case 'to':
        return (m) => m.to.some((address) => address.toLowerCase().includes(value.toLowerCase()));
      default:
        return (m) => m.subject.toLowerCase().includes(term.toLowerCase());
    }
  });
  const matching = store.filter((m) => checks.every((check) => check(m))).reverse();
  const start = Math.max(Number(params.get('start') ?? 0) || 0, 0);
  const limit = Math.max(Number(params.get('limit') ?? 50) || 50, 1);
  const page = matching.slice(start, start + limit);
  const address = (text: string) => ({ Name: '', Address: text });
  return {
    total: store.length,
    unread: store.length,
    count: page.length,
    messages_count: matching.length,
    messages_unread: matching.length,
    start,
    tags: [],
    messages: page.map((m) => ({
      ID: m.id,
      MessageID: m.messageId ? bareMessageId(m.messageId) : '',
      Read: false,
      From: address(m.envelope.from ?? m.from),
      To: m.to.map(address),
      Cc: [],
      Bcc: [],
      ReplyTo: [],
      Subject: m.subject,
      Created: m.receivedAt,
      Tags: [],
      Size: m.text.length + (m.html?.length ?? 0),
      Attachments: 0,
      Snippet: m.text.slice(0, 250),
    })),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const INBOX_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Inbox · platform SMTP sink</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1f2328; display: grid; grid-template-columns: 380px 1fr; height: 100vh; }
  header { grid-column: 1 / -1; display: flex; align-items: center; gap: 12px; padding: 8px 16px; border-bottom: 1px solid #d0d7de; background: #f6f8fa; }
  header h1 { font-size: 16px; margin: 0; flex: 1; }
  button { font: inherit; padding: 4px 10px; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; cursor: pointer; }
  #list { overflow-y: auto; border-right: 1px solid #d0d7de; margin: 0; padding: 0; list-style: none; }
  #list li { padding: 8px 16px; border-bottom: 1px solid #eaeef2; cursor: pointer; }
  #list li:hover { background: #f6f8fa; }
  #list li.active { background: #ddf4ff; }
  .subject { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .meta { color: #656d76; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  #view { display: flex; flex-direction: column; min-width: 0; }
  #headers { padding: 12px 16px; border-bottom: 1px solid #d0d7de; }
  #headers dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
  #headers dt { color: #656d76; }
  #headers dd { margin: 0; overflow-wrap: anywhere; }
  iframe { flex: 1; border: 0; width: 100%; }
  .empty { padding: 24px 16px; color: #656d76; }
</style>
</head>
<body>
<header><h1>Inbox <span id="count"></span></h1><button id="refresh">Refresh</button><button id="clear">Delete all</button></header>
<ul id="list"></ul>
<section id="view"><p class="empty">Select a message.</p></section>
<script>
  const list = document.getElementById('list');
  const view = document.getElementById('view');
  let selected = null;
  let lastJson = '';
  function el(tag, props, children) {
    const node = Object.assign(document.createElement(tag), props || {});
    for (const child of children || []) node.append(child);
    return node;
  }
  async function load() {
    const response = await fetch('api/messages', { cache: 'no-store' });
    const json = await response.text();
    if (json === lastJson) return;
    lastJson = json;
    const messages = JSON.parse(json).reverse();
    document.getElementById('count').textContent = '(' + messages.length + ')';
    list.replaceChildren();
    if (messages.length === 0) list.append(el('li', { className: 'empty', textContent: 'No messages yet.' }));
    for (const message of messages) {
      const item = el('li', {}, [
        el('div', { className: 'subject', textContent: message.subject || '(no subject)' }),
        el('div', { className: 'meta', textContent: 'To ' + message.to.join(', ') + ' · ' + new Date(message.receivedAt).toLocaleTimeString() }),
      ]);
      if (message.id === selected) item.classList.add('active');
      item.addEventListener('click', () => show(message, item));
      list.append(item);
    }
  }
  function show(message, item) {
    selected = message.id;
    for (const other of list.children) other.classList.remove('active');
    item.classList.add('active');
    const rows = [['Subject', message.subject], ['From', message.from], ['To', message.to.join(', ')],
      ['Date', new Date(message.receivedAt).toLocaleString()], ['Message-ID', message.messageId || '']];
    const dl = el('dl');
    for (const [name, value] of rows) dl.append(el('dt', { textContent: name }), el('dd', { textContent: value }));
    const frame = el('iframe', { src: 'api/messages/' + encodeURIComponent(message.id) + '/html', title: 'Message body' });
    frame.setAttribute('sandbox', '');
    view.replaceChildren(el('div', { id: 'headers' }, [dl]), frame);
  }
  document.getElementById('refresh').addEventListener('click', load);
  document.getElementById('clear').addEventListener('click', async () => {
    await fetch('api/messages', { method: 'DELETE' });
    selected = null;
    view.replaceChildren(el('p', { className: 'empty', textContent: 'Select a message.' }));
    load();
  });
  load();
  setInterval(load, 2000);
</script>
</body>
</html>
`;
