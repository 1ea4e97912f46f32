import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import { type TemplateChannel, type TemplateContent, type TemplateKey, type TemplateView, testRecipientSchemas } from '@platform/contracts/api/notification-admin';
import { scheduleTimer } from '@platform/runtime/timers';
import type { Database } from '../adapters/database';
import { type StoredField, TemplateFieldError, type TemplateRenderer } from '../adapters/template-renderer';
import { liveVersions, saveVersion, type StoredVersion, versionsOf } from '../adapters/template-store';
import { noticeKindOf } from '../domain/notification-plan';
import { renderMessage, TIMER_KINDS } from './notifications';
import { type PreviewDeps, type PreviewOrder, previewView, SAMPLE_ORDER_ID, validationViews } from './preview';

/*
 * The template admin (NTF-04, docs/notification-admin.md): a template stored for a template,
 * channel and locale replaces the built-in files for that combination from the next message
 * planned; every save is a new version, the newest live.
 */

export interface TemplateAdminDeps extends PreviewDeps {
  db: Database;
}

/** The fields each channel's template has. */
const FIELDS: Record<TemplateChannel, readonly StoredField[]> = { email: ['subject', 'html', 'text'], sms: ['body'], push: ['title', 'body'] };

const iso = (date: Date) => date.toISOString();

function viewOf(key: TemplateKey, stored: StoredVersion | undefined, renderer: TemplateRenderer): TemplateView {
  return stored
    ? { ...key, source: 'stored', version: stored.version, author: stored.author, createdAt: iso(stored.createdAt), content: stored.content }
    : { ...key, source: 'built-in', version: null, author: null, createdAt: null, content: renderer.builtInContent(key.name, key.channel) };
}

/** `GET /notification-templates/:name/:channel/:locale`: what it renders from now. */
export async function readTemplate(deps: TemplateAdminDeps, key: TemplateKey): Promise<TemplateView> {
  return viewOf(key, (await liveVersions(deps.db, key.name, key.locale)).get(key.channel), deps.renderer);
}

/** `GET …/versions`: every saved version, newest (live) first. */
export async function templateVersions(deps: TemplateAdminDeps, key: TemplateKey) {
  const versions = await versionsOf(deps.db, key);
  return {
    ...key,
    versions: versions.map((v, index) => ({ version: v.version, content: v.content, author: v.author, createdAt: iso(v.createdAt), live: index === 0 })),
  };
}

/** Exactly the channel's fields, each named in the problem when missing or foreign. */
function checkFields(channel: TemplateChannel, content: TemplateContent, pointerBase: string): void {
  const wanted = FIELDS[channel];
  const problems = [
    ...wanted.filter((field) => content[field] === undefined).map((field) => ({ pointer: `${pointerBase}/${field}`, detail: `required for ${channel}` })),
    ...Object.keys(content)
      .filter((field) => !wanted.includes(field as StoredField))
      .map((field) => ({ pointer: `${pointerBase}/${field}`, detail: `not part of a ${channel} template (it has ${wanted.join(', ')})` })),
  ];
  if (problems.length > 0) throw new DomainError('unprocessable', 'TEMPLATE_FIELDS', `A ${channel} template has ${wanted.join(', ')}`, problems);
}

/** Renders `key` for one view: the stored content when given, else the live template. */
function renderFor(renderer: TemplateRenderer, key: TemplateKey, view: Record<string, unknown>, compiled: ReturnType<TemplateRenderer['compile']> | undefined) {
  const message = renderMessage(renderer, key.channel, key.name, key.locale, view, compiled);
  return key.channel === 'email'
    ? { subject: message.subject, html: message.html, text: message.body, title: null, body: null }
    : { subject: null, html: null, text: null, title: message.subject, body: message.body };
}

/** A draft must compile and render for every sample it may meet, or it is refused naming the field that failed. */
function renderChecked(renderer: TemplateRenderer, key: TemplateKey, content: TemplateContent, views: Array<Record<string, unknown>>, pointerBase: string) {
  checkFields(key.channel, content, pointerBase);
  const compiled = renderer.compile(content);
  try {
    return views.map((view) => renderFor(renderer, key, view, compiled));
  } catch (error) {
    if (!(error instanceof TemplateFieldError)) throw error;
    throw new DomainError('unprocessable', 'TEMPLATE_INVALID', `The ${error.field} does not render: ${error.message}`, [
      { pointer: `${pointerBase}/${error.field}`, detail: error.message },
    ]);
  }
}

/**
 * `PUT /notification-templates/:name/:channel/:locale`: checks the draft against the sample order
 * (under every status the template is used for) and saves it as the next version, live at once.
 * `author` is the acting API key as the gateway names it.
 */
export async function saveTemplate(deps: TemplateAdminDeps, key: TemplateKey, content: TemplateContent, author: string, now: Date): Promise<TemplateView> {
  renderChecked(deps.renderer, key, content, validationViews(deps, key.name, key.locale, now), '/content');
  return viewOf(key, await saveVersion(deps.db, key, content, author, now), deps.renderer);
}

async function orderFor(db: Database, orderId: string | undefined): Promise<PreviewOrder | null> {
  if (!orderId) return null;
  const order = await db.orderContext.findUnique({ where: { orderId } });
  if (!order) throw new DomainError('not_found', 'ORDER_NOT_FOUND', `No order ${orderId} is known to notifications`, [{ pointer: '/orderId', detail: 'no such order' }]);
  return order;
}

/** `POST …/preview`: what `key` would send for the order (or the sample order): the live template, or `content` (a draft) when given. */
export async function previewStoredTemplate(deps: TemplateAdminDeps, key: TemplateKey, input: { orderId?: string; status?: string; content?: TemplateContent }, now: Date) {
  const view = previewView(deps, key.name, { locale: key.locale, status: input.status }, await orderFor(deps.db, input.orderId), now);
  if (input.content) return renderChecked(deps.renderer, key, input.content, [view], '/content')[0]!;
  const live = (await liveVersions(deps.db, key.name, key.locale)).get(key.channel);
  try {
    return renderFor(deps.renderer, key, view, live && deps.renderer.compile(live.content, live.id));
  } catch (error) {
    throw new DomainError('unprocessable', 'TEMPLATE_RENDER_FAILED', (error as Error).message);
  }
}

/**
 * `POST …/test-send`: the live template rendered for the order (or the sample order), queued to
 * `to` like any notification (same retries and provider protocol), marked as a test: no events,
 * not in the order's log, not counted in the analytics. Its notice is `test:<id>`, so it never
 * takes the place of the order's real notification on that channel.
 */
export async function testSend(deps: TemplateAdminDeps, key: TemplateKey, input: { to: string; orderId?: string; status?: string }, now: Date) {
  const to = testRecipientSchemas[key.channel].safeParse(input.to);
  if (!to.success) {
    throw new DomainError('unprocessable', 'TEST_RECIPIENT_INVALID', `A ${key.channel} test goes to ${key.channel === 'email' ? 'an email address' : key.channel === 'sms' ? 'an E.164 phone number' : 'a device token'}`, [
      { pointer: '/to', detail: to.error.issues[0]?.message ?? 'invalid' },
    ]);
  }
  const message = await previewStoredTemplate(deps, key, input, now);
  const id = randomUUID();
  await deps.db.$transaction(async (tx) => {
    await tx.notification.create({
      data: {
        id,
        orderId: input.orderId ?? SAMPLE_ORDER_ID,
        orderStatus: noticeKindOf(key.name) ? null : (input.status ?? null),
        notice: `test:${id}`,
        template: key.name,
        channel: key.channel,
        recipient: to.data,
        locale: key.locale,
        status: 'pending',
        subject: message.subject ?? message.title,
        html: message.html,
        body: message.text ?? message.body,
        causationEventId: id,
        createdAt: now,
        updatedAt: now,
        test: true,
      },
    });
    await scheduleTimer(tx, { kind: TIMER_KINDS.send, key: id, fireAt: now });
  });
  return { notificationId: id, status: 'pending' as const };
}
