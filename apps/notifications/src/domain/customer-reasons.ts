/**
 * Why something happened to an order, as a customer may read it: a code whose words are in the
 * locale catalogues (`reasons` in templates/locales/<locale>.json). Worded from what the status
 * change says structurally (the status, where it came from, who caused it, whether a parcel is
 * on its way), never from the free text another service wrote for its operators, which is in
 * English and may name a supplier, a provider or an error code.
 */
export const CUSTOMER_REASONS = ['order_cancelled', 'cancelled_at_your_request', 'preparation_problem', 'delivery_problem'] as const;
export type CustomerReason = (typeof CUSTOMER_REASONS)[number];

export interface ReasonFacts {
  status: string;
  /** `customer:<id>`, `ops:<key id>`, or the service that caused it. */
  actor: string;
  /** The parcel on its way, when one is. */
  tracking: { number: string } | null;
}

export function customerReasonOf(facts: ReasonFacts): CustomerReason | null {
  switch (facts.status) {
    // Orders marks refunded only a cancelled order whose money all went back.
    case 'refunded':
      return 'order_cancelled';
    case 'cancelled':
      return facts.actor.startsWith('customer:') ? 'cancelled_at_your_request' : null;
    // With a parcel on its way the problem is the delivery's; before, getting the items ready.
    case 'exception':
      return facts.tracking ? 'delivery_problem' : 'preparation_problem';
    default:
      return null;
  }
}
