import {
  canadaPostCheck,
  dhlExpressCheck,
  fedex34Check,
  fedexExpressCheck,
  fedexGroundCheck,
  s10Check,
  upsCheck,
  uspsImpbCheck,
} from './check-digits';

/**
 * The carriers the platform knows, as people see them and as their numbers look: our code
 * (`cainiao`, stored on shipments and sent in events), the name to show, the carrier's public
 * tracking page (`{number}` is replaced by the tracking number), how suppliers spell the carrier
 * in their shipping methods (`CAINIAO_STANDARD`) and the number formats it issues (TRK-01,
 * docs/tracking-numbers.md). Tracking adds what it needs to follow parcels (provider codes;
 * apps/tracking/src/domain/carriers.ts). Notifications and the customer pages name carriers with
 * the same rule tracking follows (`identifyCarrier`), so an email and the tracking page never
 * name two carriers for one parcel, and a customer never reads a supplier's shipping-method code.
 */

/** A number format a carrier issues: its shape and, where one exists, its check-digit rule. */
export interface NumberFormat {
  name: string;
  pattern: RegExp;
  check?: (number: string) => boolean;
}

export interface CarrierDisplay {
  code: string;
  name: string;
  trackingUrlTemplate: string;
  /** How suppliers spell this carrier in their shipping methods. */
  hints: readonly RegExp[];
  formats: readonly NumberFormat[];
}

const S10_PATTERN = /^[A-Z]{2}\d{8}\d[A-Z]{2}$/;

function s10(country: string): NumberFormat {
  return { name: `UPU S10 (${country})`, pattern: new RegExp(`^[A-Z]{2}\\d{9}${country}$`), check: s10Check };
}

/** TRK-01: the carriers the platform knows. */
export const CARRIER_DISPLAYS = [
  {
    code: 'usps',
    name: 'USPS',
    trackingUrlTemplate: 'https://tools.usps.com/go/TrackConfirmAction?tLabels={number}',
    hints: [/\bUSPS\b/i, /UNITED STATES POSTAL/i],
    formats: [{ name: 'USPS IMpb', pattern: /^(420\d{5})?(9[1-5]\d{20}|9[1-5]\d{24}|\d{20})$/, check: uspsImpbCheck }, s10('US')],
  },
  {
    code: 'ups',
    name: 'UPS',
    trackingUrlTemplate: 'https://www.ups.com/track?tracknum={number}',
    hints: [/\bUPS\b/i],
    formats: [{ name: 'UPS 1Z', pattern: /^1Z[A-Z0-9]{16}$/, check: upsCheck }],
  },
  {
    code: 'fedex',
    name: 'FedEx',
    trackingUrlTemplate: 'https://www.fedex.com/fedextrack/?trknbr={number}',
    hints: [/FED\s*EX/i],
    formats: [
      { name: 'FedEx Express', pattern: /^\d{12}$/, check: fedexExpressCheck },
      { name: 'FedEx Ground', pattern: /^(\d{15}|96\d{20})$/, check: fedexGroundCheck },
      { name: 'FedEx 34-digit', pattern: /^(100\d{31}|96\d{32})$/, check: fedex34Check },
    ],
  },
  {
    code: 'dhl',
    name: 'DHL Express',
    trackingUrlTemplate: 'https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}',
    hints: [/\bDHL\b(?!.*(ECOMMERCE|PAKET|POST))/i],
    formats: [{ name: 'DHL Express waybill', pattern: /^\d{10,11}$/, check: dhlExpressCheck }],
  },
  {
    code: 'canada-post',
    name: 'Canada Post',
    trackingUrlTemplate: 'https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}',
    hints: [/CANADA\s*POST/i, /POSTES\s*CANADA/i],
    formats: [{ name: 'Canada Post domestic', pattern: /^\d{16}$/, check: canadaPostCheck }, s10('CA')],
  },
  { code: 'chitchats', name: 'ChitChats', trackingUrlTemplate: 'https://chitchats.com/tracking/{number}', hints: [/CHIT\s*CHATS?/i], formats: [] },
  {
    code: 'correos',
    name: 'Correos',
    trackingUrlTemplate: 'https://www.correos.es/es/en/tools/tracker/items/details?tracking-number={number}',
    hints: [/CORREOS/i],
    formats: [s10('ES'), { name: 'Correos national', pattern: /^[A-Z0-9]{2}[0-9A-HJ-NP-TV-Z]{4}\d{2}\d{7}[A-Z0-9]{2}[A-Z0-9]{5}[A-Z]$/ }],
  },
  {
    code: 'china-post',
    name: 'China Post',
    trackingUrlTemplate: 'https://www.17track.net/en/track?nums={number}',
    hints: [/CHINA\s*POST/i, /CHINAPOST/i],
    formats: [s10('CN')],
  },
  { code: 'cjpacket', name: 'CJPacket', trackingUrlTemplate: 'https://www.17track.net/en/track?nums={number}', hints: [/CJ\s*PACKET/i], formats: [] },
  { code: 'yanwen', name: 'Yanwen', trackingUrlTemplate: 'https://track.yw56.com.cn/en/querydel?nums={number}', hints: [/YANWEN/i], formats: [] },
  {
    code: 'cainiao',
    name: 'Cainiao',
    trackingUrlTemplate: 'https://global.cainiao.com/newDetail.htm?mailNoList={number}',
    hints: [/CAINIAO/i, /ALIEXPRESS[\s_]*(STANDARD|PREMIUM|SAVER|SELECTION)/i],
    formats: [{ name: 'Cainiao LP', pattern: /^LP\d{14}$/ }],
  },
  {
    code: 'royal-mail',
    name: 'Royal Mail',
    trackingUrlTemplate: 'https://www.royalmail.com/track-your-item#/tracking-results/{number}',
    hints: [/ROYAL\s*MAIL/i],
    formats: [s10('GB')],
  },
  {
    code: 'la-poste',
    name: 'La Poste',
    trackingUrlTemplate: 'https://www.laposte.fr/outils/suivre-vos-envois?code={number}',
    hints: [/LA\s*POSTE/i, /COLISSIMO/i],
    formats: [s10('FR')],
  },
  {
    code: 'deutsche-post',
    name: 'Deutsche Post',
    trackingUrlTemplate: 'https://www.deutschepost.de/de/s/sendungsverfolgung.html?piececode={number}',
    hints: [/DEUTSCHE\s*POST/i, /DHL\s*(PAKET|POST)/i],
    formats: [s10('DE')],
  },
] as const satisfies readonly CarrierDisplay[];

export type CarrierCode = (typeof CARRIER_DISPLAYS)[number]['code'];

const BY_CODE = new Map<string, CarrierDisplay>(CARRIER_DISPLAYS.map((carrier) => [carrier.code, carrier]));

/** A known carrier by our code. */
export function carrierDisplay(code: CarrierCode): CarrierDisplay {
  return BY_CODE.get(code)!;
}

/** The carrier a supplier's shipping-method text names (`CAINIAO_STANDARD` → cainiao). */
export function carrierFromHint<C extends CarrierDisplay = CarrierDisplay>(
  hint: string | null | undefined,
  registry: readonly C[] = CARRIER_DISPLAYS as readonly CarrierDisplay[] as readonly C[],
): C | undefined {
  if (!hint) return undefined;
  const spaced = hint.replaceAll('_', ' ');
  return registry.find((carrier) => carrier.hints.some((pattern) => pattern.test(spaced)));
}

/** Tracking numbers are compared without spaces or dashes, upper case. */
export function normalizeTrackingNumber(number: string): string {
  return number.replaceAll(/[\s-]+/g, '').toUpperCase();
}

/** The carrier's public tracking page for `number`; null for an unknown carrier. */
export function trackingUrl(carrier: CarrierDisplay | undefined, number: string): string | null {
  return carrier ? carrier.trackingUrlTemplate.replace('{number}', encodeURIComponent(number)) : null;
}

export interface Detection<C extends CarrierDisplay = CarrierDisplay> {
  number: string;
  carrier: C | null;
  /** Carriers whose format and check digit the number passes. */
  candidates: string[];
  /** The carrier the hint named, if any. */
  hinted: string | null;
  /**
   * How the carrier was chosen; `invalid`: the hint names a carrier with a check-digit rule
   * (or the number is S10-shaped) and the number fails it: a wrong number, not followed.
   */
  reason: 'format' | 'format+hint' | 'hint' | 'ambiguous' | 'unknown' | 'invalid';
}

function matchingFormats(carrier: CarrierDisplay, number: string): boolean {
  return carrier.formats.some((format) => format.pattern.test(number) && (format.check?.(number) ?? true));
}

/** Whether the carrier publishes a rule a number can be checked against (then its name alone proves nothing). */
function hasCheckableFormat(carrier: CarrierDisplay): boolean {
  return carrier.formats.some((format) => format.check !== undefined);
}

/**
 * TRK-01: which carrier issued `number`. A number counts for a carrier only when it fits one
 * of its formats AND passes that format's check digit; an S10 number belongs to the post of
 * its country suffix. Numeric formats collide (10/12/15 digits can pass several rules), so
 * the supplier's hint chooses among the carriers whose rules the number passes, and with no
 * hint a tie stays undecided (the provider auto-detects): length alone never decides.
 * The hint alone is trusted only for carriers that publish no check-digit rule (Cainiao,
 * Yanwen, CJPacket): a number that fails the rule of the carrier the supplier named (wrong
 * check digit, length, prefix, malformed S10) is `invalid`, never that carrier's.
 */
export function detectCarrier<C extends CarrierDisplay = CarrierDisplay>(
  rawNumber: string,
  hint?: string | null,
  registry: readonly C[] = CARRIER_DISPLAYS as readonly CarrierDisplay[] as readonly C[],
): Detection<C> {
  const number = normalizeTrackingNumber(rawNumber);
  const candidates = registry.filter((carrier) => matchingFormats(carrier, number));
  const hinted = carrierFromHint(hint, registry) ?? null;
  const result = (carrier: C | null, reason: Detection['reason']): Detection<C> => ({
    number,
    carrier,
    candidates: candidates.map((c) => c.code),
    hinted: hinted?.code ?? null,
    reason,
  });
  if (hinted && candidates.includes(hinted)) return result(hinted, 'format+hint');
  if (candidates.length === 1) return result(candidates[0]!, 'format');
  if (candidates.length > 1) return result(null, 'ambiguous');
  if (!hinted) return result(null, 'unknown');
  // An S10-shaped number with a bad check digit is a typo, whoever the hint names.
  if (hasCheckableFormat(hinted) || (S10_PATTERN.test(number) && !s10Check(number))) return result(null, 'invalid');
  return result(hinted, 'hint');
}

/**
 * The carrier of a parcel as a customer should read it, by the rule tracking follows: `carrier`
 * is our code (set by tracking) or a supplier's spelling (from fulfillment). With our code it is
 * that carrier; with a supplier's spelling and the tracking number, the number decides as in
 * `detectCarrier` (a China Post S10 number shipped "CAINIAO_STANDARD" is China Post's, as the
 * tracking page says); undefined when unknown or undecided: say nothing rather than a code.
 */
export function identifyCarrier(carrier: string | null | undefined, trackingNumber?: string | null): CarrierDisplay | undefined {
  const byCode = carrier ? BY_CODE.get(carrier) : undefined;
  if (byCode) return byCode;
  if (trackingNumber) return detectCarrier(trackingNumber, carrier).carrier ?? undefined;
  return carrierFromHint(carrier);
}
