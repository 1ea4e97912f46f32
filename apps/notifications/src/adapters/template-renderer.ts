import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}

type Compiled = HandlebarsTemplateDelegate<Record<string, unknown>>;

/** The fields of a stored template (docs/notification-admin.md): email subject, html, text; SMS body; push title, body. */
export type StoredField = 'subject' | 'html' | 'text' | 'title' | 'body';
export type StoredContent = Partial<Record<StoredField, string>>;
/** A stored template, compiled. */
export type CompiledStored = Partial<Record<StoredField, Compiled>>;

/** What a short channel shows: the push's title (null for SMS) and the text. */
export interface ShortMessage {
  title: string | null;
  body: string;
}

/** A stored template's field that does not compile or render; `field` names it. */
export class TemplateFieldError extends Error {
  constructor(
    readonly field: StoredField,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateFieldError';
  }
}

/** Stored versions are immutable: compiled once per version id. Versions are few (admins save them by hand). */
const MAX_COMPILED_VERSIONS = 1_000;

export const DEFAULT_LOCALE = 'en';

/** Catalogue sections that are no template of their own: the short channels, strings every email shares, and the customer-facing reasons. */
export const SHARED_SECTIONS = ['sms', 'push', 'email', 'reasons'] as const;

/**
 * Built-in templates from `templates/<name>/{html,text}.hbs` (shared pieces in
 * `templates/partials/*.hbs`) with per-locale strings from `templates/locales/<locale>.json`,
 * one section per template, `email` for what every email says (its own section may reword it),
 * `reasons` for why something happened (by the view's `reasonCode`, rendered as `reason`), and
 * `sms` and `push` for the short channels. Templates hold no prose of their own: every word a
 * customer reads comes from the catalogue (adapters/catalogue.test.ts checks it). Strings are
 * Handlebars too ("Hi {{customerName}}"). A key `<name>.<status>` is the wording of `<name>`
 * for that order status (`subject.shipped`). Everything renders in strict mode: a missing
 * value is an error, never a blank. Compiled once at start-up; unknown locales fall back to English.
 */
export class TemplateRenderer {
  private readonly hbs = Handlebars.create();
  private readonly bodies = new Map<string, { html: Compiled; text: Compiled }>();
  /** The files' sources, shown as what a template renders from until one is stored. */
  private readonly sources = new Map<string, { html: string; text: string }>();
  private readonly compiledVersions = new Map<string, CompiledStored>();
  private readonly strings = new Map<string, Map<string, Record<string, Compiled>>>();

  constructor(directory: string) {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (entry.name === 'partials') {
        for (const file of readdirSync(join(directory, 'partials'))) {
          this.hbs.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(join(directory, 'partials', file), 'utf8'));
        }
        continue;
      }
      if (entry.name === 'locales') continue;
      const read = (file: string) => readFileSync(join(directory, entry.name, file), 'utf8');
      const source = { html: read('html.hbs'), text: read('text.hbs') };
      this.sources.set(entry.name, source);
      this.bodies.set(entry.name, {
        html: this.hbs.compile(source.html, { strict: true }),
        text: this.hbs.compile(source.text, { strict: true, noEscape: true }),
      });
    }
    for (const file of readdirSync(join(directory, 'locales'))) {
      const locale = file.replace(/\.json$/, '');
      const catalogue = JSON.parse(readFileSync(join(directory, 'locales', file), 'utf8')) as Record<string, Record<string, string>>;
      const bySection = new Map<string, Record<string, Compiled>>();
      for (const [section, strings] of Object.entries(catalogue)) {
        bySection.set(
          section,
          Object.fromEntries(Object.entries(strings).map(([key, value]) => [key, this.hbs.compile(value, { strict: true, noEscape: true })])),
        );
      }
      this.strings.set(locale, bySection);
    }
  }

  templates(): string[] {
    return [...this.bodies.keys()];
  }

  locales(): string[] {
    return [...this.strings.keys()];
  }

  /**
   * The built-in files as a stored template's sources: what `GET` shows before anything is
   * stored, and a starting point for an edit. `t` holds the catalogue's strings, so `{{t.subject}}`
   * is the built-in subject.
   */
  builtInContent(template: string, channel: 'email' | 'sms' | 'push'): StoredContent {
    if (channel === 'sms') return { body: '{{t.body}}' };
    if (channel === 'push') return { title: '{{t.title}}', body: '{{t.body}}' };
    const source = this.sources.get(template);
    if (!source) throw new Error(`no template "${template}"`);
    return { subject: '{{t.subject}}', html: source.html, text: source.text };
  }

  /**
   * A stored template compiled with the built-in partials, in strict mode like the files (the
   * HTML escaped, the rest not); with an `id` (a saved version), compiled once.
   */
  compile(content: StoredContent, id?: string): CompiledStored {
    const cached = id === undefined ? undefined : this.compiledVersions.get(id);
    if (cached) return cached;
    const compiled: CompiledStored = {};
    for (const [field, source] of Object.entries(content) as Array<[StoredField, string]>) {
      compiled[field] = this.hbs.compile(source, { strict: true, noEscape: field !== 'html' });
    }
    if (id !== undefined) {
      if (this.compiledVersions.size >= MAX_COMPILED_VERSIONS) this.compiledVersions.clear();
      this.compiledVersions.set(id, compiled);
    }
    return compiled;
  }

  /** An email: subject, HTML and text, in `locale` (English when unknown), from the stored template when given, else the files. */
  render(template: string, locale: string, view: Record<string, unknown>, stored?: CompiledStored): RenderedMessage {
    const body = this.bodies.get(template);
    if (!body) throw new Error(`no template "${template}"`);
    const t = { ...this.text('email', locale, view), ...this.text(template, locale, view) };
    if (t.subject === undefined) throw new Error(`template "${template}" has no subject for status "${String(view.status)}"`);
    const data = { ...view, t, reason: this.reason(locale, view) };
    if (stored) return { subject: renderField(stored, 'subject', data), html: renderField(stored, 'html', data), text: renderField(stored, 'text', data) };
    return { subject: t.subject, html: body.html(data), text: body.text(data) };
  }

  /** An SMS or a push: the catalogue's `sms` or `push` wording for the view's status, or the stored template over it. */
  short(channel: 'sms' | 'push', locale: string, view: Record<string, unknown>, stored?: CompiledStored): ShortMessage {
    const t = this.text(channel, locale, view);
    if (stored) {
      const data = { ...view, t, reason: this.reason(locale, view) };
      return { title: channel === 'push' ? renderField(stored, 'title', data) : null, body: renderField(stored, 'body', data) };
    }
    if (!t.body) throw new Error(`no ${channel} text for "${String(view.status)}"`);
    return { title: channel === 'push' ? (t.title ?? null) : null, body: t.body };
  }

  /** The words for the view's `reasonCode`, or null when it has none; a code without words is an error. */
  private reason(locale: string, view: Record<string, unknown>): string | null {
    const code = view.reasonCode;
    if (typeof code !== 'string') return null;
    const reason = this.text('reasons', locale, view)[code];
    if (reason === undefined) throw new Error(`no words for reason "${code}"`);
    return reason;
  }

  /**
   * The strings of one section (`sms`, `push`, or a template's) rendered with `view`; the
   * wording for `view.status` replaces the plain key.
   */
  text(section: string, locale: string, view: Record<string, unknown>): Record<string, string> {
    const strings = this.strings.get(locale)?.get(section) ?? this.strings.get(DEFAULT_LOCALE)?.get(section);
    if (!strings) throw new Error(`no template "${section}"`);
    const suffix = typeof view.status === 'string' ? `.${view.status}` : undefined;
    const rendered: Record<string, string> = {};
    for (const [key, compiled] of Object.entries(strings)) {
      const dot = key.indexOf('.');
      if (dot === -1) rendered[key] ??= compiled(view);
      else if (suffix && key.endsWith(suffix)) rendered[key.slice(0, dot)] = compiled(view);
    }
    return rendered;
  }
}

function renderField(stored: CompiledStored, field: StoredField, data: Record<string, unknown>): string {
  const compiled = stored[field];
  if (!compiled) throw new TemplateFieldError(field, `the stored template has no ${field}`);
  try {
    return compiled(data);
  } catch (error) {
    throw new TemplateFieldError(field, (error as Error).message);
  }
}
