import { CARRIER_DISPLAYS, type CarrierCode, type CarrierDisplay } from '@platform/contracts/carriers';

/**
 * A carrier as people see it and as its numbers look (@platform/contracts/carriers, where the
 * TRK-01 detection rule lives too) and how the tracking providers name it.
 */
export interface Carrier extends CarrierDisplay {
  /** 17TRACK carrier number, where known; otherwise 17TRACK detects it. */
  seventeenTrackCode: number | null;
  aftershipSlug: string;
}

/** Each known carrier's codes at the providers (docs/providers/). */
const PROVIDER_CODES: Record<CarrierCode, Pick<Carrier, 'seventeenTrackCode' | 'aftershipSlug'>> = {
  usps: { seventeenTrackCode: 21051, aftershipSlug: 'usps' },
  ups: { seventeenTrackCode: 100002, aftershipSlug: 'ups' },
  fedex: { seventeenTrackCode: 100003, aftershipSlug: 'fedex' },
  dhl: { seventeenTrackCode: 100001, aftershipSlug: 'dhl' },
  'canada-post': { seventeenTrackCode: null, aftershipSlug: 'canada-post' },
  chitchats: { seventeenTrackCode: null, aftershipSlug: 'chitchats' },
  correos: { seventeenTrackCode: null, aftershipSlug: 'spain-correos-es' },
  'china-post': { seventeenTrackCode: 3011, aftershipSlug: 'china-post' },
  cjpacket: { seventeenTrackCode: null, aftershipSlug: 'cjpacket' },
  yanwen: { seventeenTrackCode: null, aftershipSlug: 'yanwen' },
  cainiao: { seventeenTrackCode: null, aftershipSlug: 'cainiao' },
  'royal-mail': { seventeenTrackCode: null, aftershipSlug: 'royal-mail' },
  'la-poste': { seventeenTrackCode: null, aftershipSlug: 'la-poste-colissimo' },
  'deutsche-post': { seventeenTrackCode: null, aftershipSlug: 'deutsch-post' },
};

export const CARRIERS: readonly Carrier[] = CARRIER_DISPLAYS.map((carrier) => ({ ...carrier, ...PROVIDER_CODES[carrier.code] }));

const BY_CODE = new Map(CARRIERS.map((c) => [c.code, c]));

export function carrierByCode(code: string | null | undefined): Carrier | undefined {
  return code ? BY_CODE.get(code) : undefined;
}
