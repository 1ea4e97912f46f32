import { deadLetterOutcomeSchema, deadLetterParamsSchema, serviceDeadLettersSchema, type ServiceLag, serviceLagSchema, serviceTimersSchema } from '@platform/contracts/api/ops';
import { actorOf } from './actor';
import { DeadLetterBox, type OperatedConsumer } from './dead-letters';
import type { PlatformHttpServer } from './http';
import type { Logger } from './logger';
import type { JetStreamClient, JetStreamManager } from './nats';
import type { OutboxRelay } from './outbox';
import type { TimerWorker } from './timers';

export interface OpsSources {
  consumers: readonly OperatedConsumer[];
  /** Read when asked: the relay is added to the runtime before or after the server. */
  relay: () => OutboxRelay | undefined;
  /** The service's timer workers (one per service that has timers), read when asked. */
  timers: () => ReadonlyArray<Pick<TimerWorker, 'pending'>>;
  nats: { js: JetStreamClient; jsm: JetStreamManager };
  log: Logger;
}

/**
 * The operators' endpoints every service with consumers answers, for the gateway's `/v1/ops`
 * views (docs/console.md): its consumers' dead letters (list, retry, purge), its lag and its
 * pending timers. Reached
 * only through the gateway (ops and admin keys); the acting key arrives as `x-actor`.
 */
export function registerOpsRoutes(app: PlatformHttpServer, sources: OpsSources): void {
  const box = new DeadLetterBox(new Map(sources.consumers.map((consumer) => [consumer.durable.name, consumer])), sources.nats, sources.log);

  app.get('/ops/dead-letters', { schema: { response: { 200: serviceDeadLettersSchema } } }, () => box.list());
  app.post('/ops/dead-letters/:consumer/:seq/retry', { schema: { params: deadLetterParamsSchema, response: { 200: deadLetterOutcomeSchema } } }, (request) =>
    box.retry(request.params.consumer, request.params.seq, actorOf(request)),
  );
  app.delete('/ops/dead-letters/:consumer/:seq', { schema: { params: deadLetterParamsSchema, response: { 200: deadLetterOutcomeSchema } } }, (request) =>
    box.purge(request.params.consumer, request.params.seq, actorOf(request)),
  );

  app.get('/ops/lag', { schema: { response: { 200: serviceLagSchema } } }, async (): Promise<ServiceLag> => {
    const consumers = await Promise.all(
      sources.consumers.map(async (consumer) => {
        const { name, stream } = consumer.durable;
        const info = await sources.nats.jsm.consumers.info(stream, name);
        return { consumer: name, stream, pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
      }),
    );
    const relay = sources.relay();
    return { consumers, outbox: relay ? await relay.lag() : null };
  });

  /** At most this many pending timers per service: the soonest. */
  const TIMERS_SHOWN = 200;
  app.get('/ops/timers', { schema: { response: { 200: serviceTimersSchema } } }, async () => {
    const pending = (await Promise.all(sources.timers().map((worker) => worker.pending(TIMERS_SHOWN)))).flat();
    return { timers: pending.sort((a, b) => a.fireAt.localeCompare(b.fireAt)).slice(0, TIMERS_SHOWN) };
  });
}
