import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocatePayment, type FeeRates, reverseRefund, splitProportionally, type VendorPosition, type VendorWeight } from '../../apps/billing/src/domain/vendor-split';
import { propertyOptions } from './options';

/**
 * Money per vendor (docs/requirements.md#bil-02-payments-and-refunds, #bil-03-vendor-payouts):
 * a payment is allocated exactly, fee + earning is each vendor's part, and any sequence of
 * refunds (shared in proportion or attributed to the vendors of cancelled items) reverses
 * exactly what it takes back, never leaving a vendor below zero. Positions are kept as the
 * ledger keeps them (allocated minus reversed), so the properties hold for what billing stores.
 */

const { seed, numRuns, describeSeed } = propertyOptions(500);

const vendorsArb = fc.uniqueArray(
  fc.record({ vendorId: fc.constantFrom('acme', 'globex', 'initech', 'umbrella'), vendorType: fc.constantFrom('brand' as const, 'distributor' as const), itemsSubtotal: fc.nat({ max: 50_000 }) }),
  { minLength: 1, maxLength: 4, selector: (v) => v.vendorId },
) as fc.Arbitrary<VendorWeight[]>;
const ratesArb: fc.Arbitrary<FeeRates> = fc.record({ brand: fc.nat({ max: 10_000 }), distributor: fc.nat({ max: 10_000 }) });

/** A refund: `share` of what is left (in thousandths, may ask for more than there is), and for some the vendors it names. */
const refundArb = fc.record({ share: fc.integer({ min: 1, max: 1_200 }), attributed: fc.boolean(), picks: fc.array(fc.nat({ max: 1_000 }), { minLength: 4, maxLength: 4 }) });

describe(`vendor money (${describeSeed})`, () => {
  it('splits any total exactly, each part within one unit of its exact share', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.array(fc.nat({ max: 100_000 }), { minLength: 1, maxLength: 6 }), (total, weights) => {
        const parts = splitProportionally(total, weights);
        expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
        const sum = weights.reduce((a, b) => a + b, 0);
        parts.forEach((part, i) => {
          const exact = sum === 0 ? total / weights.length : (total * weights[i]!) / sum;
          expect(Math.abs(part - exact)).toBeLessThan(1);
        });
      }),
      { seed, numRuns },
    );
  });

  it('allocates every payment exactly (Σ allocations = paid, fee + earning = allocation), and any sequence of refunds reverses exactly what it takes, never below zero', () => {
    fc.assert(
      fc.property(vendorsArb, ratesArb, fc.nat({ max: 200_000 }), fc.array(refundArb, { maxLength: 8 }), (vendors, rates, paid, refunds) => {
        const shares = allocatePayment(paid, vendors, rates);
        expect(shares.reduce((sum, s) => sum + s.amount, 0)).toBe(paid);
        for (const share of shares) {
          expect(share.fee + share.earning).toBe(share.amount);
          expect(share.fee).toBeGreaterThanOrEqual(0);
          expect(share.earning).toBeGreaterThanOrEqual(0);
        }

        // The ledger: what each vendor holds, as billing sums it from its entries.
        const positions: VendorPosition[] = shares.map((s) => ({ vendorId: s.vendorId, vendorType: s.vendorType, remaining: s.amount, remainingFee: s.fee }));
        let refunded = 0;
        for (const refund of refunds) {
          const held = positions.reduce((sum, p) => sum + p.remaining, 0);
          const attribution = refund.attributed
            ? new Map(positions.map((p, i) => [p.vendorId, Math.floor((p.remaining * refund.picks[i]!) / 1_000)]))
            : undefined;
          const amount = attribution ? [...attribution.values()].reduce((a, b) => a + b, 0) : Math.floor((held * refund.share) / 1_000);
          const reversed = reverseRefund(amount, positions, attribution);
          const taken = reversed.reduce((sum, s) => sum + s.amount, 0);
          // Exactly what the refund takes back; a refund asking for more than is held takes what is held.
          expect(taken).toBe(Math.min(amount, held));
          refunded += taken;
          for (const share of reversed) {
            expect(share.fee + share.earning).toBe(share.amount);
            const position = positions.find((p) => p.vendorId === share.vendorId)!;
            position.remaining -= share.amount;
            position.remainingFee -= share.fee;
          }
          for (const position of positions) {
            expect(position.remaining, position.vendorId).toBeGreaterThanOrEqual(0);
            expect(position.remainingFee, position.vendorId).toBeGreaterThanOrEqual(0);
            // Never more fee held than money held: the vendor's earning never goes negative.
            expect(position.remainingFee, position.vendorId).toBeLessThanOrEqual(position.remaining);
            // Nothing held, no fee held: a full refund reverses the whole fee.
            if (position.remaining === 0) expect(position.remainingFee, position.vendorId).toBe(0);
          }
        }
        // Conservation: paid − refunded = what the vendors still hold (earnings and fees).
        expect(positions.reduce((sum, p) => sum + p.remaining, 0)).toBe(paid - refunded);
      }),
      { seed, numRuns },
    );
  });
});
