/**
 * Every durable timer kind (`<service>.<what>`) and when it fires. A timer is a row in its own
 * service's database, not a message; it is declared here, beside the consumers, so that one
 * place says what each service waits for: ARCHITECTURE.md's timer table is rendered from it,
 * and `runtime.addTimers` refuses handlers that differ from the service's declared kinds.
 */
export interface TimerDeclaration {
  readonly kind: string;
  /** When it fires and what it does, for the timer table. */
  readonly fires: string;
}

export const timers = {
  fulfillment: {
    paymentConfirmedDelay: {
      kind: 'fulfillment.payment-confirmed-delay',
      fires: '`PAYMENT_CONFIRMED_DELAY_MS` (60 s) after payment: payment_confirmed → processing',
    },
    placeSupplierOrders: {
      kind: 'fulfillment.place-supplier-orders',
      fires: 'right after entering processing: reserve stock, place the supplier orders (outbound calls after commit)',
    },
    supplierPoll: {
      kind: 'fulfillment.supplier-poll',
      fires:
        'while a supplier order is open (from placement, where the attempt has a supplier part): after `SUPPLIER_POLL_INTERVAL_MS` (15 min), doubling while nothing changes up to `SUPPLIER_POLL_MAX_INTERVAL_MS` (1 h), back to the base after a change',
    },
    supplierTimeout: {
      kind: 'fulfillment.supplier-timeout',
      fires: '`SUPPLIER_TIMEOUT_MS` (24 h) after placement: unanswered supplier orders fail alone when another part goes on, else placed_with_supplier → failed',
    },
    supplierRetry: {
      kind: 'fulfillment.supplier-retry',
      fires: '5 min × 2^retryCount after a refusal, while retryCount < 3: RETRY',
    },
    reservationExpiry: {
      kind: 'fulfillment.reservation-expiry',
      fires: '`RESERVATION_TTL_MS` (30 min) after a hold not yet confirmed: the hold is released',
    },
    cancelSupplierOrders: {
      kind: 'fulfillment.cancel-supplier-orders',
      fires: 'right after a cancel or a failed attempt; a supplier that cannot cancel gets an ops task instead of a retry',
    },
    automationStep: {
      kind: 'fulfillment.automation-step',
      fires:
        "one per automation step (key = step id): right after its shipment is delivered or ops retries it, and `retryDelaySeconds` after a failed attempt while attempts < the scenario's `maxAttempts`",
    },
  },
  orders: {
    channelOrderSync: {
      kind: 'orders.channel-order-sync',
      fires: "right after a sales channel's webhook names an order (key = channel:order id): its detail is pulled and the order imported, or cancelled when the channel cancelled it",
    },
    channelPull: {
      kind: 'orders.channel-pull',
      fires: "every `CHANNEL_PULL_INTERVAL_MS` (5 min) per channel: the orders it changed since the last pull are synced as a webhook would, so a missed webhook is caught",
    },
    channelShipment: {
      kind: 'orders.channel-shipment',
      fires: "right after a channel order's parcel ships (key = shipment id): its tracking number and carrier are sent to the channel; retried with backoff until accepted",
    },
    promiseDeadline: {
      kind: 'orders.promise-deadline',
      fires:
        "just after the delivery promise's last moment (key = order id; moved when a modification remakes the promise): an order paid and not yet delivered, cancelled or flagged is flagged late (`delayed` where the status table allows it; `orders.order.delayed`)",
    },
  },
  tracking: {
    poll: {
      kind: 'tracking.poll',
      fires: '`TRACKING_POLL_FIRST_MS` (1 h) after registration, then every `TRACKING_POLL_EVERY_MS` (6 h), until terminal',
    },
    noScanAlert: {
      kind: 'tracking.no-scan-alert',
      fires: '`NO_SCAN_ALERT_MS` (3 days) after registration and after each new scan, while the shipment is not terminal: `tracking.shipment.silent`',
    },
  },
  notifications: {
    send: { kind: 'notifications.send', fires: 'right after the notification is recorded: one send per notification' },
    deferred: { kind: 'notifications.deliver-deferred', fires: "at the end of the customer's quiet hours" },
    retry: {
      kind: 'notifications.retry',
      fires: "after a failure (backoff) or while the provider's breaker is open; a minute after an attempt whose outcome was lost, which is checked with the provider before any resend",
    },
    campaignRelease: {
      kind: 'notifications.campaign-release',
      fires:
        'right after a bulk send is started or run again (key = campaign id), then once per pacing interval while recipients wait: plans the next batch of its messages (`CAMPAIGN_SENDS_PER_MINUTE`)',
    },
  },
  billing: {
    invoiceOverdue: { kind: 'billing.invoice-overdue', fires: "at the invoice's due date (`INVOICE_DUE_DAYS`, 14 days after issue): an unpaid or partly paid invoice becomes overdue" },
    payoutRun: {
      kind: 'billing.payout-run',
      fires: "every `PAYOUT_INTERVAL_MS` (7 days): a payout statement per vendor and currency, the balance transferred to the vendor's connected account",
    },
  },
} as const satisfies Record<string, Record<string, TimerDeclaration>>;

/** The timer kinds a service declares (none for a service without timers). */
export function declaredTimerKinds(service: string): string[] {
  const declared: Record<string, TimerDeclaration> = Object.hasOwn(timers, service) ? timers[service as keyof typeof timers] : {};
  return Object.values(declared).map((timer) => timer.kind);
}

/** Why the timer handlers a service is about to start disagree with its declaration, or undefined. */
export function timerDeclarationMismatch(service: string, handledKinds: readonly string[]): string | undefined {
  const handled = [...new Set(handledKinds)].sort();
  const expected = declaredTimerKinds(service).sort();
  if (handled.join() === expected.join()) return undefined;
  return (
    `${service} has timer handlers for ${handled.join(', ') || 'nothing'}, but packages/contracts/src/timers.ts declares ` +
    `${expected.join(', ') || 'none'} (ARCHITECTURE.md's timer table is rendered from it)`
  );
}
