import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}

type Compiled = HandlebarsTemplateDelegate<Record<string, unknown>>;

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
      this.bodies.set(entry.name, {
        html: this.hbs.compile(read('html.hbs'), { strict: true }),
        text: this.hbs.compile(read('text.hbs'), { strict: true, noEscape: true }),
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

  /** An email: subject, HTML and text, in `locale` (English when unknown). */
  render(template: string, locale: string, view: Record<string, unknown>): RenderedMessage {
    const body = this.bodies.get(template);
    if (!body) throw new Error(`no template "${template}"`);
    const t = { ...this.text('email', locale, view), ...this.text(template, locale, view) };
    if (t.subject === undefined) throw new Error(`template "${template}" has no subject for status "${String(view.status)}"`);
    const data = { ...view, t, reason: this.reason(locale, view) };
    return { subject: t.subject, html: body.html(data), text: body.text(data) };
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
