import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import Handlebars from 'handlebars';
import { PAGE_LOCALES, type PageLocale } from '../domain/page-locale';

type Compiled = HandlebarsTemplateDelegate<Record<string, unknown>>;
export type Catalogue = Record<string, string>;

const ASSET_TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export type StaticAsset = { body: Buffer; type: string };

/** The CSS and scripts of a folder, by file name, read once (the pages' and the console's). */
export function loadAssets(directory: string): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  for (const file of readdirSync(directory)) {
    const type = ASSET_TYPES[extname(file)];
    if (type) assets.set(file, { body: readFileSync(join(directory, file)), type });
  }
  return assets;
}

export interface PageOptions {
  /** Catalogue key of the page title (with its parameters). */
  title: { key: string; params?: Record<string, unknown> };
  /** Data for the page's script, as a JSON data block (never executed, so the CSP allows it). */
  pageData?: unknown;
}

/**
 * The customer pages' templates, strings and static files, from `pages/` beside `src/` and
 * `dist/` (so the same path works from source and from the bundle):
 * `templates/<page>.hbs` inside `templates/layout.hbs`, `locales/<locale>.json` (flat keys,
 * Handlebars placeholders), `assets/*` (CSS and the one script). Loaded once at start-up;
 * everything renders strictly, so a missing key or value is an error, never a blank.
 */
export class PageRenderer {
  private readonly hbs = Handlebars.create();
  private readonly pages = new Map<string, Compiled>();
  private readonly layout: Compiled;
  private readonly catalogues = new Map<PageLocale, { raw: Catalogue; compiled: Map<string, Compiled> }>();
  private readonly assets: Map<string, StaticAsset>;

  constructor(directory: string) {
    for (const locale of PAGE_LOCALES) {
      const raw = JSON.parse(readFileSync(join(directory, 'locales', `${locale}.json`), 'utf8')) as Catalogue;
      this.catalogues.set(locale, { raw, compiled: new Map(Object.entries(raw).map(([key, text]) => [key, this.hbs.compile(text, { strict: true })])) });
    }
    this.hbs.registerHelper('t', (key: unknown, options: Handlebars.HelperOptions) =>
      new Handlebars.SafeString(this.text((options.data as { root: { locale: PageLocale } }).root.locale, String(key), options.hash as Record<string, unknown>)),
    );
    for (const file of readdirSync(join(directory, 'templates'))) {
      this.pages.set(file.replace(/\.hbs$/, ''), this.hbs.compile(readFileSync(join(directory, 'templates', file), 'utf8'), { strict: true }));
    }
    this.layout = this.pages.get('layout')!;
    this.assets = loadAssets(join(directory, 'assets'));
  }

  /** One catalogue string, its parameters HTML-escaped; an unknown key is an error. */
  text(locale: PageLocale, key: string, params: Record<string, unknown> = {}): string {
    const compiled = this.catalogues.get(locale)!.compiled.get(key);
    if (!compiled) throw new Error(`no "${key}" in the ${locale} page catalogue`);
    return compiled(params);
  }

  catalogue(locale: PageLocale): Catalogue {
    return this.catalogues.get(locale)!.raw;
  }

  /** A whole HTML document: `page`'s template with `view` in the layout. */
  render(page: string, locale: PageLocale, view: Record<string, unknown>, options: PageOptions): string {
    const template = this.pages.get(page);
    if (!template) throw new Error(`no page template "${page}"`);
    const content = template({ ...view, locale });
    // `<` escaped so no string in the data can close the data block.
    const pageData = options.pageData === undefined ? null : JSON.stringify(options.pageData).replaceAll('<', '\\u003c');
    return this.layout({
      locale,
      title: new Handlebars.SafeString(this.text(locale, options.title.key, options.title.params)),
      content: new Handlebars.SafeString(content),
      pageData: pageData === null ? null : new Handlebars.SafeString(pageData),
    });
  }

  asset(name: string): StaticAsset | undefined {
    return this.assets.get(name);
  }
}
