import { describe, expect, it } from 'vitest';
import { CARRIER_DISPLAYS, type CarrierDisplay, carrierDisplay, detectCarrier, identifyCarrier, normalizeTrackingNumber, trackingUrl } from './carriers';
import { s10CheckDigit } from './check-digits';

/** Flips the last digit of a number to a wrong one. */
const corrupt = (number: string) => number.slice(0, -1) + String((Number(number.at(-1)) + 1) % 10);

describe('check digits (published examples: jkeen/tracking_number_data, UPU S10 / Wikipedia)', () => {
  it.each([
    ['1Z5R89390357567127', 'ups'],
    ['1Z879E930346834440', 'ups'],
    ['1Z410E7W0392751591', 'ups'],
    ['986578788855', 'fedex'],
    ['477179081230', 'fedex'],
    ['041441760228964', 'fedex'],
    ['9611020987654312345672', 'fedex'],
    ['3318810025', 'dhl'],
    ['9405511202575421535949', 'usps'],
    ['9400111899223344005564', 'usps'],
    ['420221539101026837331000039521', 'usps'],
    ['AA473124829GB', 'royal-mail'],
    ['RB123456785CN', 'china-post'],
  ])('%s is a valid %s number', (number, carrier) => {
    expect(detectCarrier(number).carrier?.code).toBe(carrier);
  });

  it.each(['1Z5R89390357567128', '986578788856', '3318810026', '9405511202575421535940', 'AA473124828GB', 'RB123456784CN'])(
    '%s (one digit off) is not accepted',
    (number) => {
      expect(detectCarrier(number).carrier).toBeNull();
      expect(detectCarrier(number).candidates).toEqual([]);
    },
  );

  it('computes the S10 check digit with the 10 → 0 and 11 → 5 rules', () => {
    expect(s10CheckDigit('47312482')).toBe(9);
    // Σ = 0 → 11 − 0 = 11 → 5
    expect(s10CheckDigit('00000000')).toBe(5);
    // Σ = 1·3 + 1·5 = 8 → 11 − 8 = 3
    expect(s10CheckDigit('00001100')).toBe(3);
    // Σ = 1·5 + 1·7 = 12, 12 mod 11 = 1 → 10 → 0
    expect(s10CheckDigit('00000101')).toBe(0);
  });
});

describe('detectCarrier', () => {
  it('normalizes spaces, dashes and case before checking', () => {
    expect(normalizeTrackingNumber(' rb 1234-56785 cn ')).toBe('RB123456785CN');
    expect(detectCarrier(' rb 123456785 cn').carrier?.code).toBe('china-post');
  });

  it('gives an S10 number to the post of its country suffix', () => {
    const serial = '12345678';
    const s10 = (country: string) => `RR${serial}${s10CheckDigit(serial)}${country}`;
    expect(detectCarrier(s10('CN')).carrier?.code).toBe('china-post');
    expect(detectCarrier(s10('US')).carrier?.code).toBe('usps');
    expect(detectCarrier(s10('ES')).carrier?.code).toBe('correos');
    expect(detectCarrier(s10('CA')).carrier?.code).toBe('canada-post');
    expect(detectCarrier(s10('GB')).carrier?.code).toBe('royal-mail');
    expect(detectCarrier(s10('FR')).carrier?.code).toBe('la-poste');
    expect(detectCarrier(s10('DE')).carrier?.code).toBe('deutsche-post');
    expect(detectCarrier(s10('XX')).carrier).toBeNull();
  });

  it('uses the supplier hint for numbers without a checkable format', () => {
    expect(detectCarrier('YT2212345678901234', 'CAINIAO_STANDARD')).toMatchObject({ reason: 'hint', carrier: { code: 'cainiao' } });
    expect(detectCarrier('CJPKL7012345678901', 'CJPacket Ordinary')).toMatchObject({ reason: 'hint', carrier: { code: 'cjpacket' } });
    expect(detectCarrier('YT2212345678901234')).toMatchObject({ reason: 'unknown', carrier: null });
  });

  it('prefers a check-digit match over the hint, and the hint when it agrees', () => {
    expect(detectCarrier('1Z5R89390357567127', 'USPS')).toMatchObject({ reason: 'format', carrier: { code: 'ups' } });
    expect(detectCarrier('RB123456785CN', 'CJPacket Ordinary')).toMatchObject({ reason: 'format', carrier: { code: 'china-post' } });
    expect(detectCarrier('9405511202575421535949', 'USPS')).toMatchObject({ reason: 'format+hint', carrier: { code: 'usps' } });
  });

  it('never trusts a hint for an S10 number whose check digit is wrong', () => {
    expect(detectCarrier('RB123456784CN', 'CAINIAO_STANDARD')).toMatchObject({ reason: 'invalid', carrier: null });
  });

  it('does not decide by length: a number two carriers accept needs the hint', () => {
    // Two carriers whose 12-digit rules overlap, as FedEx Express and other numeric formats do in the wild.
    const fedex = carrierDisplay('fedex');
    const lookalike: CarrierDisplay = { ...fedex, code: 'lookalike', name: 'Lookalike', hints: [/LOOKALIKE/i], formats: [{ name: 'any 12 digits', pattern: /^\d{12}$/ }] };
    const registry = [fedex, lookalike];
    expect(detectCarrier('986578788855', null, registry)).toMatchObject({ reason: 'ambiguous', carrier: null, candidates: ['fedex', 'lookalike'] });
    expect(detectCarrier('986578788855', 'LOOKALIKE_EXPRESS', registry)).toMatchObject({ reason: 'format+hint', carrier: { code: 'lookalike' } });
    expect(detectCarrier('986578788855', 'FedEx International', registry)).toMatchObject({ reason: 'format+hint', carrier: { code: 'fedex' } });
    // A 12-digit number failing FedEx's check digit is the lookalike's alone.
    expect(detectCarrier('986578788856', null, registry)).toMatchObject({ reason: 'format', carrier: { code: 'lookalike' } });
  });

  it('builds tracking URLs from the template', () => {
    expect(trackingUrl(carrierDisplay('usps'), '9405511202575421535949')).toBe('https://tools.usps.com/go/TrackConfirmAction?tLabels=9405511202575421535949');
    expect(trackingUrl(undefined, 'X')).toBeNull();
    for (const carrier of CARRIER_DISPLAYS) expect(carrier.trackingUrlTemplate).toContain('{number}');
  });
});


/**
 * A hint names the carrier; the number must still pass that carrier's published rule. Per
 * checkable carrier: numbers that pass (the hint picks or confirms it) and numbers that fail
 * by check digit, length, prefix or S10 shape (never that carrier, never trusted to the hint).
 */
describe('a hint naming a carrier with a check-digit rule', () => {
  const table: { hint: string; carrier: string; valid: string[]; invalid: Record<string, string> }[] = [
    {
      hint: 'UPS Ground',
      carrier: 'ups',
      valid: ['1Z5R89390357567127', '1Z879E930346834440'],
      invalid: { 'check digit': '1Z5R89390357567128', length: '1Z5R8939035756712', prefix: '2Z5R89390357567127' },
    },
    {
      hint: 'USPS First-Class Package',
      carrier: 'usps',
      valid: ['9405511202575421535949', '420221539101026837331000039521', 'RB123456785US'],
      invalid: {
        'check digit': '9405511202575421535940',
        length: '940551120257542153594',
        prefix: '8405511202575421535949',
        'S10 check digit': 'RB123456784US',
        'S10 shape': 'R1123456785US',
      },
    },
    {
      hint: 'FedEx International Priority',
      carrier: 'fedex',
      valid: ['986578788855', '041441760228964', '9611020987654312345672'],
      invalid: { 'check digit': '986578788856', 'ground check digit': '041441760228965', length: '9865787888551', prefix: '9711020987654312345672' },
    },
    {
      hint: 'DHL Express Worldwide',
      carrier: 'dhl',
      valid: ['3318810025'],
      invalid: { 'check digit': '3318810026', length: '331881002', letters: 'JD3318810025' },
    },
    {
      hint: 'Canada Post Expedited Parcel',
      carrier: 'canada-post',
      valid: ['7316332000000122', 'RB123456785CA'],
      invalid: { 'check digit': '7316332000000123', length: '73163320000001224', 'S10 check digit': 'RB123456784CA' },
    },
    {
      hint: 'China Post Registered Air Mail',
      carrier: 'china-post',
      valid: ['RB123456785CN'],
      invalid: { 'S10 check digit': 'RB123456784CN', 'S10 length': 'RB12345678CN', 'S10 shape': 'R8123456785CN', 'other number': '3318810026' },
    },
    {
      hint: 'Royal Mail Tracked 48',
      carrier: 'royal-mail',
      valid: ['AA473124829GB'],
      invalid: { 'S10 check digit': 'AA473124828GB', 'S10 length': 'AA4731248290GB' },
    },
    { hint: 'Correos Paq', carrier: 'correos', valid: ['RB123456785ES'], invalid: { 'S10 check digit': 'RB123456784ES', 'no format': 'YT2212345678901234' } },
    { hint: 'La Poste Colissimo', carrier: 'la-poste', valid: ['RB123456785FR'], invalid: { 'S10 check digit': 'RB123456784FR' } },
    { hint: 'DHL Paket', carrier: 'deutsche-post', valid: ['RB123456785DE'], invalid: { 'S10 check digit': 'RB123456784DE' } },
  ];

  describe.each(table)('$hint → $carrier', ({ hint, carrier, valid, invalid }) => {
    it.each(valid)('%s passes', (number) => {
      expect(detectCarrier(number, hint)).toMatchObject({ carrier: { code: carrier }, hinted: carrier, reason: 'format+hint' });
    });

    it.each(Object.entries(invalid))('wrong %s (%s): invalid, no carrier', (_, number) => {
      expect(detectCarrier(number, hint)).toMatchObject({ carrier: null, hinted: carrier, reason: 'invalid', candidates: [] });
    });

    it('every other check digit is refused', () => {
      for (const number of valid) {
        const at = /^[A-Z]{2}\d{9}[A-Z]{2}$/.test(number) ? 10 : number.length - 1;
        for (let digit = 0; digit <= 9; digit++) {
          if (String(digit) === number[at]) continue;
          const changed = number.slice(0, at) + String(digit) + number.slice(at + 1);
          expect(detectCarrier(changed, hint).carrier?.code, changed).not.toBe(carrier);
        }
      }
    });
  });

  it('still trusts the hint alone for carriers without a checkable format', () => {
    expect(detectCarrier('YT2212345678901234', 'YANWEN')).toMatchObject({ reason: 'hint', carrier: { code: 'yanwen' } });
    expect(detectCarrier('1Z5R89390357567128', 'ChitChats Select')).toMatchObject({ reason: 'hint', carrier: { code: 'chitchats' } });
  });

  it('lets a number that passes another carrier\'s rule go to that carrier, whatever the hint', () => {
    expect(detectCarrier('1Z5R89390357567127', 'DHL Express Worldwide')).toMatchObject({ reason: 'format', carrier: { code: 'ups' }, hinted: 'dhl' });
  });
});

describe('identifyCarrier: the carrier a customer reads, by the rule tracking follows', () => {
  it('takes our code as it is', () => {
    expect(identifyCarrier('china-post', 'LP00123456789012')?.name).toBe('China Post');
  });

  it('lets the number decide over a supplier spelling, as the tracking page does', () => {
    expect(identifyCarrier('CAINIAO_STANDARD', 'RB123456785CN')?.name).toBe('China Post');
    expect(identifyCarrier('CAINIAO_STANDARD', 'LP00123456789012')?.name).toBe('Cainiao');
    expect(identifyCarrier('CAINIAO_STANDARD', 'YT2212345678901234')?.name).toBe('Cainiao');
  });

  it('names nobody for a number tracking would not follow, or a spelling it does not know', () => {
    expect(identifyCarrier('CAINIAO_STANDARD', 'RB123456784CN')).toBeUndefined();
    expect(identifyCarrier('Some Courier Express', 'X123')).toBeUndefined();
    expect(identifyCarrier(null, null)).toBeUndefined();
  });

  it('falls back to the spelling when there is no number', () => {
    expect(identifyCarrier('CAINIAO_STANDARD', null)?.name).toBe('Cainiao');
  });
});
