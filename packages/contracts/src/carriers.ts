/**
 * The carriers the platform knows, as people see them: our code (`cainiao`, stored on shipments
 * and sent in events), the name to show, the carrier's public tracking page (`{number}` is
 * replaced by the tracking number) and how suppliers spell the carrier in their shipping
 * methods (`CAINIAO_STANDARD`). Tracking adds what it needs to follow parcels (number formats,
 * provider codes; apps/tracking/src/domain/carriers.ts); notifications and the customer pages
 * name carriers from here, so a customer never reads a supplier's shipping-method code.
 */
export interface CarrierDisplay {
  code: string;
  name: string;
  trackingUrlTemplate: string;
  /** How suppliers spell this carrier in their shipping methods. */
  hints: readonly RegExp[];
}

export const CARRIER_DISPLAYS = [
  { code: 'usps', name: 'USPS', trackingUrlTemplate: 'https://tools.usps.com/go/TrackConfirmAction?tLabels={number}', hints: [/\bUSPS\b/i, /UNITED STATES POSTAL/i] },
  { code: 'ups', name: 'UPS', trackingUrlTemplate: 'https://www.ups.com/track?tracknum={number}', hints: [/\bUPS\b/i] },
  { code: 'fedex', name: 'FedEx', trackingUrlTemplate: 'https://www.fedex.com/fedextrack/?trknbr={number}', hints: [/FED\s*EX/i] },
  {
    code: 'dhl',
    name: 'DHL Express',
    trackingUrlTemplate: 'https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}',
    hints: [/\bDHL\b(?!.*(ECOMMERCE|PAKET|POST))/i],
  },
  {
    code: 'canada-post',
    name: 'Canada Post',
    trackingUrlTemplate: 'https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}',
    hints: [/CANADA\s*POST/i, /POSTES\s*CANADA/i],
  },
  { code: 'chitchats', name: 'ChitChats', trackingUrlTemplate: 'https://chitchats.com/tracking/{number}', hints: [/CHIT\s*CHATS?/i] },
  { code: 'correos', name: 'Correos', trackingUrlTemplate: 'https://www.correos.es/es/en/tools/tracker/items/details?tracking-number={number}', hints: [/CORREOS/i] },
  { code: 'china-post', name: 'China Post', trackingUrlTemplate: 'https://www.17track.net/en/track?nums={number}', hints: [/CHINA\s*POST/i, /CHINAPOST/i] },
  { code: 'cjpacket', name: 'CJPacket', trackingUrlTemplate: 'https://www.17track.net/en/track?nums={number}', hints: [/CJ\s*PACKET/i] },
  { code: 'yanwen', name: 'Yanwen', trackingUrlTemplate: 'https://track.yw56.com.cn/en/querydel?nums={number}', hints: [/YANWEN/i] },
  {
    code: 'cainiao',
    name: 'Cainiao',
    trackingUrlTemplate: 'https://global.cainiao.com/newDetail.htm?mailNoList={number}',
    hints: [/CAINIAO/i, /ALIEXPRESS[\s_]*(STANDARD|PREMIUM|SAVER|SELECTION)/i],
  },
  { code: 'royal-mail', name: 'Royal Mail', trackingUrlTemplate: 'https://www.royalmail.com/track-your-item#/tracking-results/{number}', hints: [/ROYAL\s*MAIL/i] },
  { code: 'la-poste', name: 'La Poste', trackingUrlTemplate: 'https://www.laposte.fr/outils/suivre-vos-envois?code={number}', hints: [/LA\s*POSTE/i, /COLISSIMO/i] },
  {
    code: 'deutsche-post',
    name: 'Deutsche Post',
    trackingUrlTemplate: 'https://www.deutschepost.de/de/s/sendungsverfolgung.html?piececode={number}',
    hints: [/DEUTSCHE\s*POST/i, /DHL\s*(PAKET|POST)/i],
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

/**
 * The carrier a shipment's `carrier` field means, whichever way it was written: our code (from
 * tracking) or a supplier's spelling (from fulfillment); undefined when unknown: say nothing
 * rather than show a code.
 */
export function knownCarrier(value: string | null | undefined): CarrierDisplay | undefined {
  if (!value) return undefined;
  return BY_CODE.get(value) ?? carrierFromHint(value);
}
