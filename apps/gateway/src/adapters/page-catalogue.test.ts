import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { orderStatusSchema } from '@platform/contracts/events/orders';
import { trackingStatusSchema } from '@platform/contracts/events/tracking';
import { describe, expect, it } from 'vitest';
import { PAGE_LOCALES } from '../domain/page-locale';
import { PageRenderer } from './page-renderer';

/** The customer pages' catalogues: every string in every language, and every key the pages use exists. */

const PAGES = fileURLToPath(new URL('../../pages', import.meta.url));
const catalogue = (locale: string) => JSON.parse(readFileSync(join(PAGES, 'locales', `${locale}.json`), 'utf8')) as Record<string, string>;
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1]).sort();
const english = catalogue('en');

/** Strings a language writes exactly as English does ("Total" in Spanish and Romanian). */
const SAME_AS_ENGLISH: Record<string, string[]> = { es: ['order.total'], ro: ['order.total'], ru: [] };

describe('the page catalogues', () => {
  it('has one catalogue per locale the emails speak, and nothing else', () => {
    expect(readdirSync(join(PAGES, 'locales')).sort()).toEqual(PAGE_LOCALES.map((locale) => `${locale}.json`).sort());
  });

  it.each(PAGE_LOCALES)('%s: has every key, none empty, with the same placeholders as English', (locale) => {
    const strings = catalogue(locale);
    expect(Object.keys(strings).sort()).toEqual(Object.keys(english).sort());
    for (const [key, text] of Object.entries(strings)) {
      expect(text.trim(), `${locale} ${key}`).not.toBe('');
      expect(placeholders(text), `${locale} ${key}`).toEqual(placeholders(english[key]!));
    }
  });

  it.each(PAGE_LOCALES.filter((locale) => locale !== 'en'))('%s: translates every string (none left in English)', (locale) => {
    const strings = catalogue(locale);
    const untranslated = Object.keys(english).filter((key) => strings[key] === english[key] && !SAME_AS_ENGLISH[locale]!.includes(key));
    expect(untranslated).toEqual([]);
  });

  it('names every order and parcel status the services can report', () => {
    for (const status of orderStatusSchema.options) expect(english[`status.${status}`], status).toBeDefined();
    for (const status of trackingStatusSchema.options) expect(english[`scan.${status}`], status).toBeDefined();
  });

  it('has every key the templates and the script name literally', () => {
    const templates = readdirSync(join(PAGES, 'templates')).map((file) => readFileSync(join(PAGES, 'templates', file), 'utf8'));
    const used = [
      ...templates.flatMap((text) => [...text.matchAll(/\{\{t "([^"]+)"/g)].map((match) => match[1]!)),
      ...[...readFileSync(join(PAGES, 'assets', 'pages.js'), 'utf8').matchAll(/\bt\('([^']+)'/g)].map((match) => match[1]!),
    ];
    expect(used.length).toBeGreaterThan(40);
    expect(used.filter((key) => !(key in english))).toEqual([]);
  });

  it('renders a string with its parameters escaped, and refuses an unknown key', () => {
    const renderer = new PageRenderer(PAGES);
    expect(renderer.text('es', 'order.title', { number: '<b>ORD-1</b>' })).toBe('Pedido &lt;b&gt;ORD-1&lt;/b&gt;');
    expect(() => renderer.text('ro', 'order.nothing')).toThrow(/order\.nothing/);
  });
});
