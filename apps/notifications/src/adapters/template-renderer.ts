import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}

type Strings = Record<string, string>;
type Compiled = HandlebarsTemplateDelegate<Record<string, unknown>>;

export const DEFAULT_LOCALE = 'en';

/**
 * Built-in templates from `templates/<name>/{html,text}.hbs` with per-locale strings from
 * `templates/locales/<locale>.json`; strings are Handlebars too ("Hi {{customerName}}").
 * Compiled once at start-up. Unknown locales fall back to English.
 */
export class TemplateRenderer {
  private readonly hbs = Handlebars.create();
  private readonly bodies = new Map<string, { html: Compiled; text: Compiled }>();
  private readonly strings = new Map<string, Map<string, Record<string, Compiled>>>();

  constructor(directory: string) {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'locales') continue;
      const read = (file: string) => readFileSync(join(directory, entry.name, file), 'utf8');
      this.bodies.set(entry.name, {
        html: this.hbs.compile(read('html.hbs'), { strict: true }),
        text: this.hbs.compile(read('text.hbs'), { strict: true, noEscape: true }),
      });
    }
    for (const file of readdirSync(join(directory, 'locales'))) {
      const locale = file.replace(/\.json$/, '');
      const catalogue = JSON.parse(readFileSync(join(directory, 'locales', file), 'utf8')) as Record<string, Strings>;
      const byTemplate = new Map<string, Record<string, Compiled>>();
      for (const [template, strings] of Object.entries(catalogue)) {
        byTemplate.set(
          template,
          Object.fromEntries(Object.entries(strings).map(([key, value]) => [key, this.hbs.compile(value, { noEscape: true })])),
        );
      }
      this.strings.set(locale, byTemplate);
    }
  }

  templates(): string[] {
    return [...this.bodies.keys()];
  }

  render(template: string, locale: string, view: Record<string, unknown>): RenderedMessage {
    const body = this.bodies.get(template);
    const strings = this.strings.get(locale)?.get(template) ?? this.strings.get(DEFAULT_LOCALE)?.get(template);
    if (!body || !strings) throw new Error(`no template "${template}"`);
    const t = Object.fromEntries(Object.entries(strings).map(([key, compiled]) => [key, compiled(view)]));
    const data = { ...view, t };
    return { subject: t.subject ?? template, html: body.html(data), text: body.text(data) };
  }
}
