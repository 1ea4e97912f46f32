import type { CreateOrderRequest } from '@platform/contracts/api/orders';
import { MAX_MINOR_UNITS } from '@platform/contracts/primitives';
import { lineTotal, priceOrder } from './pricing';
import { DomainError } from '@platform/contracts/errors';

const HOUR = 60 * 60 * 1000;
/** Earliest a scheduled window may start, so the order can still be routed and packed. */
export const SCHEDULED_LEAD_TIME_MS = 2 * HOUR;
export const SCHEDULED_WINDOW_MAX_MS = 12 * HOUR;
export const SCHEDULED_WINDOW_MIN_MS = HOUR;

/** An order as the rules see it: items already priced. */
export interface PricedOrderDraft {
  items: readonly { quantity: number; unitPrice: number; ageRestricted: boolean }[];
  ageVerified: boolean;
  deliveryType: CreateOrderRequest['deliveryType'];
  deliveryWindow?: CreateOrderRequest['deliveryWindow'] | null;
}

/**
 * Cross-field rules the request schema cannot express (ORD-07), for a new order and for a
 * modified one. Throws one DomainError listing every violated field, so a client fixes them
 * all in one round.
 */
export function assertOrderRules(request: PricedOrderDraft, now: Date): void {
  const fields: { pointer: string; detail: string }[] = [];

  request.items.forEach((item, index) => {
    if (item.ageRestricted && !request.ageVerified) {
      fields.push({ pointer: `/items/${index}/ageRestricted`, detail: 'age-restricted item requires ageVerified: true' });
    }
  });

  request.items.forEach((item, index) => {
    if (lineTotal(item) > MAX_MINOR_UNITS) {
      fields.push({ pointer: `/items/${index}/quantity`, detail: `quantity × unitPrice must not exceed ${MAX_MINOR_UNITS}` });
    }
  });
  if (fields.length === 0 && priceOrder(request).total > MAX_MINOR_UNITS) {
    fields.push({ pointer: '/items', detail: `order total must not exceed ${MAX_MINOR_UNITS}` });
  }

  const window = request.deliveryWindow;
  if (request.deliveryType === 'scheduled') {
    if (!window) {
      fields.push({ pointer: '/deliveryWindow', detail: 'required when deliveryType is scheduled' });
    } else {
      const start = Date.parse(window.start);
      const end = Date.parse(window.end);
      if (start < now.getTime() + SCHEDULED_LEAD_TIME_MS) {
        fields.push({ pointer: '/deliveryWindow/start', detail: 'must be at least 2 hours from now' });
      }
      if (end - start < SCHEDULED_WINDOW_MIN_MS || end - start > SCHEDULED_WINDOW_MAX_MS) {
        fields.push({ pointer: '/deliveryWindow/end', detail: 'window must last between 1 and 12 hours' });
      }
    }
  } else if (window) {
    fields.push({ pointer: '/deliveryWindow', detail: 'only allowed when deliveryType is scheduled' });
  }

  if (fields.length > 0) {
    throw new DomainError('unprocessable', 'ORDER_RULES_VIOLATED', 'The order breaks ordering rules', fields);
  }
}
