import { identifyCarrier } from '@platform/contracts/carriers';

const regionNames = new Map<string, Intl.DisplayNames>();

/** A country (ISO 3166-1 alpha-2) by its name in the customer's language: `ES` in `es` → "España". */
export function countryName(code: string, locale: string): string {
  let names = regionNames.get(locale);
  if (!names) {
    names = new Intl.DisplayNames([locale], { type: 'region', fallback: 'code' });
    regionNames.set(locale, names);
  }
  return names.of(code.toUpperCase()) ?? code;
}

/**
 * The carrier's name to show, from our code (tracking's) or a supplier's spelling of it with the
 * parcel's tracking number, decided by the rule the tracking page follows (contracts'
 * `identifyCarrier`); null when the carrier is unknown, so a shipping-method code never reaches
 * a customer.
 */
export function carrierName(carrier: string | null | undefined, trackingNumber: string | null | undefined): string | null {
  return identifyCarrier(carrier, trackingNumber)?.name ?? null;
}
