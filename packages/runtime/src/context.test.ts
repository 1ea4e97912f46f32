import { randomUUID } from 'node:crypto';
import { cancellationSettled } from '@platform/contracts';
import { describe, expect, it } from 'vitest';
import { continueFlow, currentFlow, runInFlow } from './context';
import { newEvent } from './outbox';

const orderId = randomUUID();
const settledEvent = () =>
  newEvent(cancellationSettled, { aggregateId: orderId, source: 'test', data: { orderId, outcome: 'nothing_at_supplier', at: new Date().toISOString() } });

describe('continueFlow', () => {
  it('moves the work onto the journey it belongs to, keeping the causation, and only for that work', async () => {
    await runInFlow({ correlationId: 'webhook-request', causationId: 'request-1' }, async () => {
      const event = await continueFlow('order-journey', async () => {
        expect(currentFlow()).toMatchObject({ correlationId: 'order-journey', causationId: 'request-1' });
        return settledEvent();
      });
      expect(event).toMatchObject({ correlationId: 'order-journey', causationId: 'request-1' });
      expect(currentFlow()?.correlationId).toBe('webhook-request');
    });
  });

  it('leaves the flow as it is without a correlation id to continue', () => {
    runInFlow({ correlationId: 'webhook-request', causationId: 'request-1' }, () => {
      expect(continueFlow(null, () => settledEvent().correlationId)).toBe('webhook-request');
    });
  });

  it('starts a flow of its own outside any', () => {
    expect(continueFlow('order-journey', () => currentFlow())).toEqual({ correlationId: 'order-journey', causationId: null });
  });
});
