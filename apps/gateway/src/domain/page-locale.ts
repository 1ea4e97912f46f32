import { localeSchema } from '@platform/contracts/primitives';

/** The languages the customer pages speak: the emails' (docs/customer-pages.md). */
export const PAGE_LOCALES = localeSchema.options;
export type PageLocale = (typeof PAGE_LOCALES)[number];
export const DEFAULT_PAGE_LOCALE: PageLocale = 'en';

const isPageLocale = (value: string): value is PageLocale => (PAGE_LOCALES as readonly string[]).includes(value);

/**
 * The page language when the order's own locale is not known (a visitor without access, the
 * public tracking page): the first language of `Accept-Language`, by weight, that the pages speak.
 */
export function localeFromAcceptLanguage(header: string | undefined): PageLocale {
  const ranked = (header ?? '')
    .split(',')
    .map((part, position) => {
      const [range = '', ...parameters] = part.trim().split(';');
      const weight = parameters.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { language: range.trim().toLowerCase().split('-')[0]!, weight: weight === undefined ? 1 : Number(weight), position };
    })
    .filter((choice) => choice.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.position - b.position);
  return ranked.map((choice) => choice.language).find(isPageLocale) ?? DEFAULT_PAGE_LOCALE;
}

/** The order's locale when it is one the pages speak, else the visitor's. */
export function pageLocale(orderLocale: string | undefined, acceptLanguage: string | undefined): PageLocale {
  return orderLocale && isPageLocale(orderLocale) ? orderLocale : localeFromAcceptLanguage(acceptLanguage);
}
