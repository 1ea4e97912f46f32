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
import { carrierDisplay, type CarrierDisplay, carrierFromHint } from '@platform/contracts/carriers';

export { carrierFromHint };

/** A number format a carrier issues: its shape and, where one exists, its check-digit rule. */
export interface NumberFormat {
  name: string;
  pattern: RegExp;
  check?: (number: string) => boolean;
}

/** A carrier as people see it (code, name, public tracking page, supplier spellings: @platform/contracts/carriers) and how to follow its parcels. */
export interface Carrier extends CarrierDisplay {
  /** 17TRACK carrier number, where known; otherwise 17TRACK detects it. */
  seventeenTrackCode: number | null;
  aftershipSlug: string;
  formats: NumberFormat[];
  /** UPU S10 country suffix of international mail this post issues. */
  s10Country?: string;
}

const S10_PATTERN = /^[A-Z]{2}\d{8}\d[A-Z]{2}$/;

function s10(country: string): NumberFormat {
  return { name: `UPU S10 (${country})`, pattern: new RegExp(`^[A-Z]{2}\\d{9}${country}$`), check: s10Check };
}

/** TRK-01: the carriers the platform knows, with their URL templates and number formats. */
export const CARRIERS: readonly Carrier[] = [
  {
    ...carrierDisplay('usps'),
    seventeenTrackCode: 21051,
    aftershipSlug: 'usps',
    formats: [{ name: 'USPS IMpb', pattern: /^(420\d{5})?(9[1-5]\d{20}|9[1-5]\d{24}|\d{20})$/, check: uspsImpbCheck }, s10('US')],
    s10Country: 'US',
  },
  {
    ...carrierDisplay('ups'),
    seventeenTrackCode: 100002,
    aftershipSlug: 'ups',
    formats: [{ name: 'UPS 1Z', pattern: /^1Z[A-Z0-9]{16}$/, check: upsCheck }],
  },
  {
    ...carrierDisplay('fedex'),
    seventeenTrackCode: 100003,
    aftershipSlug: 'fedex',
    formats: [
      { name: 'FedEx Express', pattern: /^\d{12}$/, check: fedexExpressCheck },
      { name: 'FedEx Ground', pattern: /^(\d{15}|96\d{20})$/, check: fedexGroundCheck },
      { name: 'FedEx 34-digit', pattern: /^(100\d{31}|96\d{32})$/, check: fedex34Check },
    ],
  },
  {
    ...carrierDisplay('dhl'),
    seventeenTrackCode: 100001,
    aftershipSlug: 'dhl',
    formats: [{ name: 'DHL Express waybill', pattern: /^\d{10,11}$/, check: dhlExpressCheck }],
  },
  {
    ...carrierDisplay('canada-post'),
    seventeenTrackCode: null,
    aftershipSlug: 'canada-post',
    formats: [{ name: 'Canada Post domestic', pattern: /^\d{16}$/, check: canadaPostCheck }, s10('CA')],
    s10Country: 'CA',
  },
  {
    ...carrierDisplay('chitchats'),
    seventeenTrackCode: null,
    aftershipSlug: 'chitchats',
    formats: [],
  },
  {
    ...carrierDisplay('correos'),
    seventeenTrackCode: null,
    aftershipSlug: 'spain-correos-es',
    // National numbers carry a control letter whose formula (Annex IV) is not public: shape only.
    formats: [s10('ES'), { name: 'Correos national', pattern: /^[A-Z0-9]{2}[0-9A-HJ-NP-TV-Z]{4}\d{2}\d{7}[A-Z0-9]{2}[A-Z0-9]{5}[A-Z]$/ }],
    s10Country: 'ES',
  },
  {
    ...carrierDisplay('china-post'),
    seventeenTrackCode: 3011,
    aftershipSlug: 'china-post',
    formats: [s10('CN')],
    s10Country: 'CN',
  },
  {
    ...carrierDisplay('cjpacket'),
    seventeenTrackCode: null,
    aftershipSlug: 'cjpacket',
    formats: [],
  },
  {
    ...carrierDisplay('yanwen'),
    seventeenTrackCode: null,
    aftershipSlug: 'yanwen',
    formats: [],
  },
  {
    ...carrierDisplay('cainiao'),
    seventeenTrackCode: null,
    aftershipSlug: 'cainiao',
    formats: [{ name: 'Cainiao LP', pattern: /^LP\d{14}$/ }],
  },
  {
    ...carrierDisplay('royal-mail'),
    seventeenTrackCode: null,
    aftershipSlug: 'royal-mail',
    formats: [s10('GB')],
    s10Country: 'GB',
  },
  {
    ...carrierDisplay('la-poste'),
    seventeenTrackCode: null,
    aftershipSlug: 'la-poste-colissimo',
    formats: [s10('FR')],
    s10Country: 'FR',
  },
  {
    ...carrierDisplay('deutsche-post'),
    seventeenTrackCode: null,
    aftershipSlug: 'deutsch-post',
    formats: [s10('DE')],
    s10Country: 'DE',
  },
];

const BY_CODE = new Map(CARRIERS.map((c) => [c.code, c]));

export function carrierByCode(code: string | null | undefined): Carrier | undefined {
  return code ? BY_CODE.get(code) : undefined;
}

/** Tracking numbers are compared without spaces or dashes, upper case. */
export function normalizeTrackingNumber(number: string): string {
  return number.replaceAll(/[\s-]+/g, '').toUpperCase();
}

export function trackingUrl(carrier: Carrier | undefined, number: string): string | null {
  return carrier ? carrier.trackingUrlTemplate.replace('{number}', encodeURIComponent(number)) : null;
}

export interface Detection {
  number: string;
  carrier: Carrier | null;
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

function matchingFormats(carrier: Carrier, number: string): boolean {
  return carrier.formats.some((format) => format.pattern.test(number) && (format.check?.(number) ?? true));
}

/** Whether the carrier publishes a rule a number can be checked against (then its name alone proves nothing). */
function hasCheckableFormat(carrier: Carrier): boolean {
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
export function detectCarrier(rawNumber: string, hint?: string | null, registry: readonly Carrier[] = CARRIERS): Detection {
  const number = normalizeTrackingNumber(rawNumber);
  const candidates = registry.filter((carrier) => matchingFormats(carrier, number));
  const hinted = carrierFromHint(hint, registry) ?? null;
  const result = (carrier: Carrier | null, reason: Detection['reason']): Detection => ({
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
