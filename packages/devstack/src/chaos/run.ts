/**
 * One chaos run: its own stack on free ports in a temp dir, seeded journeys through the gateway
 * and simulators while faults are injected, then settle (heal, move clocks, finish deliveries,
 * wait for quiet) and check the evidence. Used by `pnpm chaos` and the e2e test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpsTask } from '@platform/contracts/api/fulfillment';
import got, { type Got } from 'got';
import { sleep } from '../child';
import { runPool } from '../drive';
import { SERVICE_NAMES } from '../services';
import { freeStackPorts, startStack, type StackHandle } from '../stack';
import { type Anomaly, checkEvidence, collapsedResends, type Journey, type SentOrder } from './checker';
import { collectEvidence, Databases, dueTimers, fulfillmentTrail, inFlight, stockSnapshot } from './evidence';
import { type FaultCounts, type FaultRecord, injectFaults, planFaults, setBehaviour } from './faults';
import { identityOf, type JourneyResult, planJourneys, runJourney, SUPPLIER_BEHAVIOUR } from './journeys';
import { seededRandom } from './random';

export interface ChaosOptions extends FaultCounts {
  orders: number;
  concurrency: number;
  seed: number;
  /** How long faults are spread over (journeys start within 70 % of it), ms. */
  durationMs: number;
  /** Upper bound of the settle phase, ms. */
  settleTimeoutMs: number;
  log: (line: string) => void;
  /** Keep the temp dir (logs) after the run. */
  keep?: boolean;
}

export interface ChaosReport {
  runId: string;
  seed: number;
  dataDir: string;
  journeys: Record<Journey, { planned: number; placed: number }>;
  notPlaced: number;
  faults: FaultRecord[];
  settleMs: number;
  settled: boolean;
  anomalies: Anomaly[];
  /** Pushes resent after an unknown outcome that the device collapsed into the earlier one. */
  collapsedPushResends: number;
  notes: string[];
  /** Fulfillment's trail of the first orders with an anomaly (`fulfillmentTrail`), by order id. */
  trails: Record<string, string[]>;
}

/** Orders with an anomaly whose fulfillment trail the report prints. */
const TRAILS_SHOWN = 4;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { log } = options;
  const runId = options.seed.toString(36) + Date.now().toString(36).slice(-4);
  const random = seededRandom(options.seed);
  const journeyPlan = planJourneys(random, options.orders, options.durationMs);
  const faultPlan = planFaults(random, options, options.durationMs);

  const dataDir = await mkdtemp(join(tmpdir(), 'platform-chaos-'));
  const logDir = join(dataDir, 'logs');
  const ports = await freeStackPorts();
  log(`run ${runId} (seed ${options.seed}): starting a stack in ${dataDir}`);
  const stack = await startStack({
    dataDir,
    ports,
    persistent: false,
    logDir,
    env: {
      LOG_LEVEL: 'warn',
      TEST_CLOCK_CONTROL: 'true',
      RATE_LIMIT_PER_MINUTE: '1000000',
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
      CONSUMER_ACK_WAIT_MS: '5000',
      SUPPLIER_POLL_INTERVAL_MS: '10000',
    },
    log,
  });
  const http = got.extend({ retry: { limit: 0 }, throwHttpErrors: false, timeout: { request: 15_000 } });
  const gateway = http.extend({ prefixUrl: stack.gatewayUrl, headers: { authorization: 'Bearer dev-admin-key' }, responseType: 'json' });
  const simulators = http.extend({ prefixUrl: stack.simulators!.url, responseType: 'json' });
  const db = new Databases(stack);
  try {
    for (const [supplier, behaviour] of Object.entries(SUPPLIER_BEHAVIOUR)) await setBehaviour(simulators, supplier, behaviour);
    const stockBefore = await stockSnapshot(db);

    // Journeys and faults side by side; fulfillment's clock moves on so the 60 s delay, polls and retries pass.
    const startedAt = Date.now();
    const deadline = startedAt + options.durationMs + 3 * MINUTE;
    let running = true;
    const clock = new FulfillmentClock(http, stack);
    const ticking = (async () => {
      while (running) {
        await sleep(2_000);
        await clock.advance(61_000).catch(() => {});
      }
    })();
    const results: JourneyResult[] = [];
    const journeys = runPool(journeyPlan.length, options.concurrency, async (i) => {
      const planned = journeyPlan[i]!;
      const wait = startedAt + planned.delayMs - Date.now();
      if (wait > 0) await sleep(wait);
      const journeyRandom = seededRandom(options.seed * 7919 + i);
      results[i] = await runJourney(planned, {
        runId,
        gateway,
        gatewayUrl: stack.gatewayUrl,
        simulators,
        simulatorsUrl: stack.simulators!.url,
        random: journeyRandom,
        deadline,
      }).catch((error: unknown) => ({ planned, notes: [`journey failed: ${(error as Error).message}`] }));
    });
    const faults = await injectFaults(faultPlan, { stack, dataDir, ports, logDir, simulators, log }, startedAt);
    await journeys;
    running = false;
    await ticking;
    log(`journeys done in ${Math.round((Date.now() - startedAt) / 1000)} s; settling`);

    const sent = results.flatMap((r) => (r?.sent ? [r.sent] : []));
    const settleStarted = Date.now();
    const unsettled = await settle(options, stack, http, clock, gateway, simulators, db, sent);
    const settleMs = Date.now() - settleStarted;

    const identities = new Map(results.flatMap((r) => (r?.sent ? [[r.sent.orderId, identityOf(runId, r.planned.index)] as const] : [])));
    const evidence = await collectEvidence({ stack, db, http, sent, identities, stockBefore, unsettled });
    const anomalies = checkEvidence(evidence);
    const trails: ChaosReport['trails'] = {};
    for (const orderId of [...new Set(anomalies.flatMap((a) => (a.orderId ? [a.orderId] : [])))].slice(0, TRAILS_SHOWN)) {
      trails[orderId] = await fulfillmentTrail(db, orderId).catch((error: unknown) => [`trail not read: ${(error as Error).message}`]);
    }

    const journeyCounts = Object.fromEntries(
      [...new Set(journeyPlan.map((j) => j.journey))].map((journey) => [
        journey,
        { planned: journeyPlan.filter((j) => j.journey === journey).length, placed: sent.filter((s) => s.journey === journey).length },
      ]),
    ) as ChaosReport['journeys'];
    const notes = results.flatMap((r) => (r?.notes ?? []).map((note) => `${r.sent?.orderId ?? `#${r.planned.index}`} ${r.planned.journey}: ${note}`));
    return { runId, seed: options.seed, dataDir, journeys: journeyCounts, notPlaced: journeyPlan.length - sent.length, faults, settleMs, settled: unsettled.length === 0, anomalies, collapsedPushResends: collapsedResends(evidence), notes, trails };
  } finally {
    await db.close().catch(() => {});
    await stack.stop().catch((error: unknown) => log(`stopping the stack: ${(error as Error).message}`));
    if (!options.keep) await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Fulfillment's time under test: each move adds to the offset it should be at. A fulfillment the
 * faults killed comes back at the wall clock (offset 0): moved by the step alone it would stay
 * hours behind the timers and history it wrote before, so its delays, polls and retries would
 * wait for the settle to catch up. The step's answer says where its clock stands, and what it
 * lost is made up at once.
 */
export class FulfillmentClock {
  private targetMs = 0;

  constructor(
    private readonly http: Got,
    private readonly stack: StackHandle,
  ) {}

  async advance(ms: number): Promise<void> {
    this.targetMs += ms;
    const url = `${this.stack.services.fulfillment!.url}/_test/clock`;
    const { offsetMs } = (await this.http.post(url, { json: { advanceMs: ms }, responseType: 'json' })).body as { offsetMs: number };
    const missing = this.targetMs - offsetMs;
    if (missing > 0) await this.http.post(url, { json: { advanceMs: missing } });
  }
}

/**
 * Heals what is down, then until quiet or the deadline: moves fulfillment's clock (the 60 s delay,
 * supplier polls and retries, the 24 h supplier timeout), pays what a paying journey left open
 * (a top-up after a modification), walks every parcel to delivered through the tracking
 * provider's webhook, and waits for empty outboxes, consumers and due timers.
 * Returns what was still in flight at the deadline.
 */
async function settle(options: ChaosOptions, stack: StackHandle, http: Got, clock: FulfillmentClock, gateway: Got, simulators: Got, db: Databases, sent: SentOrder[]) {
  const { log } = options;
  await setBehaviour(simulators, '17track', { mode: 'ok' });
  for (const name of SERVICE_NAMES) {
    const service = stack.services[name];
    const alive = service && (await Promise.race([service.exited.then(() => false), sleep(10).then(() => true)]));
    if (!alive) {
      log(`settle: ${name} was down; restarting it`);
      await stack.restartService(name);
    }
  }
  const deadline = Date.now() + options.settleTimeoutMs;
  const payers = new Set(sent.filter((s) => s.paid !== 'no' && s.cancelled !== 'yes').map((s) => s.orderId));
  let step = 0;
  let quietRounds = 0;
  let last: Awaited<ReturnType<typeof inFlight>> = [];
  while (Date.now() < deadline) {
    step += 1;
    // Half-hour steps for polls and retries; a day's jump for the 24 h supplier timeout once the
    // backlog is through and workflows still wait on a silent supplier (placed late under load).
    const waiting = step >= 6 && last.length === 0 ? await silentSupplierWaits(db, sent) : 0;
    await clock.advance(waiting > 0 ? 25 * HOUR : 30 * MINUTE).catch(() => {});
    const open = await db.query<{ order_id: string; provider_session_id: string }>(
      'billing',
      "SELECT order_id, provider_session_id FROM checkout_sessions WHERE status = 'open' AND order_id = ANY($1::uuid[])",
      [[...payers]],
    );
    for (const session of open) await http.post(`${stack.simulators!.url}/stripe/_sim/checkout/sessions/${session.provider_session_id}/complete`, { json: {} });
    const parcels = await db.query<{ tracking_number: string; provider: string | null }>(
      'tracking',
      "SELECT tracking_number, provider FROM shipments WHERE status <> 'delivered' AND provider IS NOT NULL",
    );
    for (const parcel of parcels) await simulators.post(`${parcel.provider}/_sim/progress`, { json: { number: parcel.tracking_number } });
    const tasks = await resolveOpsTasks(gateway, simulators);
    await sleep(1_500);
    last = await inFlight(db, stack.natsUser('operator'));
    const due = await dueTimers(db, stack, http, 5_000);
    const quiet = last.length === 0 && due.length === 0 && open.length === 0 && parcels.length === 0 && tasks === 0 && step > 6;
    quietRounds = quiet ? quietRounds + 1 : 0;
    if (step % 5 === 0) log(`settle: step ${step}, in flight ${JSON.stringify(last)}, due timers ${due.length}, open checkouts ${open.length}, parcels moving ${parcels.length}, ops tasks ${tasks}`);
    if (quietRounds >= 2) return [];
  }
  log('settle: deadline passed before everything was quiet');
  return last.length > 0 ? last : [{ where: 'settle deadline (timers, checkouts or parcels still moving)', count: 1 }];
}

/**
 * Plays the operator for cancels a supplier could not carry out (AliExpress has no cancel API):
 * cancels the order in the supplier's console (the simulator's), or finds it already shipped,
 * and records that through the ops API. Answers how many tasks were open.
 */
async function resolveOpsTasks(gateway: Got, simulators: Got): Promise<number> {
  const open = await gateway.get<{ tasks: OpsTask[] }>('v1/ops/tasks', { searchParams: { status: 'open' } });
  if (open.statusCode !== 200) return 1;
  // Only supplier cancellations are resolved here (an automation step's task closes through the step).
  const tasks = open.body.tasks.filter((task) => task.kind === 'supplier_cancellation');
  for (const task of tasks) {
    const atSupplier = task.externalOrderId
      ? ((await simulators.post(`${task.supplier}/_sim/orders/${task.externalOrderId}/cancel`)).body as { cancelled?: boolean } | undefined)
      : undefined;
    const outcome = atSupplier?.cancelled === false ? 'shipped_anyway' : 'cancelled_at_supplier';
    await gateway.post(`v1/ops/tasks/${task.id}/resolve`, { json: { outcome, note: 'chaos run: checked in the supplier console' } });
  }
  return tasks.length;
}

/** Workflows of the run still placed with a supplier that has not confirmed: only the 24 h timeout moves them. */
async function silentSupplierWaits(db: Databases, sent: SentOrder[]): Promise<number> {
  const rows = await db.query<{ count: string }>(
    'fulfillment',
    "SELECT count(*) AS count FROM workflows WHERE state = 'placed_with_supplier' AND order_id = ANY($1::uuid[])",
    [sent.map((s) => s.orderId)],
  );
  return Number(rows[0]?.count ?? 0);
}
