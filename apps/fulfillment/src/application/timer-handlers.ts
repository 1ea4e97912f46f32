import type { DueTimer, TimerHandler } from '@platform/runtime/timers';
import type { Transaction } from '../adapters/database';
import { DELAY_NAMES } from '../domain/order-workflow';
import { runAutomationStep } from './automation';
import { type Fulfillment, TIMER_KINDS } from './context';
import { releaseExpiredReservations } from './inventory';
import { cancelSupplierOrders, placeSupplierOrders, pollSupplierOrders, supplierTimeoutElapsed } from './placement';
import { sendWorkflowEvent } from './workflows';

/** The handler of every durable timer kind this service schedules (key = order id; step id for automation steps). */
export function timerHandlers(fulfillment: Fulfillment): Record<string, TimerHandler<Transaction>> {
  // A machine delay elapsed: send the `xstate.after.*` event it stands for (ignored if the state was left).
  const elapsed = async (timer: DueTimer, tx: Transaction) => {
    await sendWorkflowEvent(tx, fulfillment, timer.key, { type: String(timer.payload.event) });
  };
  return {
    ...Object.fromEntries(DELAY_NAMES.map((delay) => [TIMER_KINDS[delay], elapsed])),
    // Unanswered supplier orders fail alone while another part goes on; otherwise the order times out.
    [TIMER_KINDS.supplierTimeout]: (timer, tx, now) => supplierTimeoutElapsed(tx, fulfillment, timer.key, now, String(timer.payload.event)),
    [TIMER_KINDS.placeSupplierOrders]: (timer, tx, now) => placeSupplierOrders(tx, fulfillment, timer.key, now),
    [TIMER_KINDS.supplierRetry]: async (timer, tx) => {
      await sendWorkflowEvent(tx, fulfillment, timer.key, { type: 'RETRY' }, { automatic: true });
    },
    [TIMER_KINDS.supplierPoll]: (timer, tx, now) =>
      pollSupplierOrders(tx, fulfillment, timer.key, now, typeof timer.payload.intervalMs === 'number' ? timer.payload.intervalMs : null),
    [TIMER_KINDS.reservationExpiry]: async (timer, tx, now) => {
      const released = await releaseExpiredReservations(tx, timer.key, now);
      if (released > 0) fulfillment.log.info({ orderId: timer.key, released }, 'reservations expired and were released');
    },
    [TIMER_KINDS.cancelSupplierOrders]: (timer, tx, now) =>
      cancelSupplierOrders(tx, fulfillment, timer.key, now, typeof timer.payload.upToAttempt === 'number' ? timer.payload.upToAttempt : null),
    [TIMER_KINDS.automationStep]: (timer, tx) => runAutomationStep(tx, fulfillment, timer.key),
  };
}
