import { randomUUID } from 'node:crypto';
import { scheduleTimer } from '@platform/runtime/timers';
import { timers } from '@platform/contracts/timers';
import { payoutStatementIssued } from '@platform/contracts';
import type { PayoutStatementView, VendorLedger, VendorPayouts } from '@platform/contracts/api/billing';
import type { Database, Transaction } from '../adapters/database';
import { StripeApiError } from '../adapters/stripe-client';
import type { PayoutStatement, VendorLedgerEntry, VendorPayoutAccount } from '../generated/prisma/client';
import { derivedId } from '../domain/ids';
import { type BillingDeps, emit } from './context';

/*
 * Vendor payouts (docs/requirements.md#bil-03-vendor-payouts): every PAYOUT_INTERVAL_MS (or when
 * ops asks) each vendor with new ledger entries, or money owed and an account to pay it to, gets
 * a statement per currency; a positive balance is transferred to its Stripe connected account.
 */

export const PAYOUT_TIMER = timers.billing.payoutRun.kind;
const PAYOUT_TIMER_KEY = 'payout-run';
/** The kinds that move the vendor's balance; fees and their reversals are the platform's. */
const BALANCE_KINDS = ['earning', 'refund', 'payout'];

/** At start-up: the first run is scheduled unless one is pending, so a restart keeps the schedule. */
export async function ensurePayoutSchedule(db: Database, deps: BillingDeps): Promise<void> {
  await db.$transaction(async (tx) => {
    const pending = await tx.timer.findFirst({ where: { kind: PAYOUT_TIMER, key: PAYOUT_TIMER_KEY, firedAt: null } });
    if (!pending) await scheduleTimer(tx, { kind: PAYOUT_TIMER, key: PAYOUT_TIMER_KEY, fireAt: new Date(deps.clock.now().getTime() + deps.payoutIntervalMs) });
  });
}

/** Timer `billing.payout-run`: a run, then the next one an interval later. */
export async function payoutRunTimer(tx: Transaction, deps: BillingDeps, now: Date): Promise<void> {
  await runPayouts(tx, deps, now);
  await scheduleTimer(tx, { kind: PAYOUT_TIMER, key: PAYOUT_TIMER_KEY, fireAt: new Date(now.getTime() + deps.payoutIntervalMs) });
}

/** `POST /payouts/run`: a run now (the schedule stays). */
export async function runPayoutsNow(db: Database, deps: BillingDeps): Promise<PayoutStatementView[]> {
  const statements = await db.$transaction((tx) => runPayouts(tx, deps, deps.clock.now()), { timeout: 60_000, maxWait: 10_000 });
  return statements.map(statementView);
}

/**
 * One payout run. Runs never overlap (an advisory lock for the transaction). Each transfer's
 * Idempotency-Key is its statement's id, derived from (vendor, currency, sequence): a run that
 * rolls back after Stripe accepted a transfer gets the same answer back when it runs again.
 */
export async function runPayouts(tx: Transaction, deps: BillingDeps, now: Date): Promise<PayoutStatement[]> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${PAYOUT_TIMER}))::text`;
  const unstated = await tx.vendorLedgerEntry.groupBy({ by: ['vendorId', 'currency'], where: { statementId: null }, orderBy: [{ vendorId: 'asc' }, { currency: 'asc' }] });
  const balances = await tx.vendorLedgerEntry.groupBy({ by: ['vendorId', 'currency'], where: { kind: { in: BALANCE_KINDS } }, _sum: { amount: true }, orderBy: [{ vendorId: 'asc' }, { currency: 'asc' }] });
  const accounts = await tx.vendorPayoutAccount.findMany();
  const accountOf = new Map(accounts.map((a) => [a.vendorId, a]));
  const key = (vendorId: string, currency: string) => `${vendorId}\u0000${currency}`;
  const candidates = new Map(unstated.map((g) => [key(g.vendorId, g.currency), g]));
  // Owed from earlier periods (no account then, or a failed transfer) and payable now.
  for (const b of balances) if ((b._sum.amount ?? 0) > 0 && accountOf.has(b.vendorId)) candidates.set(key(b.vendorId, b.currency), b);
  const statements: PayoutStatement[] = [];
  for (const { vendorId, currency } of [...candidates.values()].sort((a, b) => key(a.vendorId, a.currency).localeCompare(key(b.vendorId, b.currency)))) {
    statements.push(await drawUpStatement(tx, deps, { vendorId, currency, account: accountOf.get(vendorId) ?? null, now }));
  }
  return statements;
}

async function drawUpStatement(
  tx: Transaction,
  deps: BillingDeps,
  input: { vendorId: string; currency: string; account: VendorPayoutAccount | null; now: Date },
): Promise<PayoutStatement> {
  const { vendorId, currency, account, now } = input;
  // Entries already on a statement change only in a run (and runs never overlap); the period's
  // are read once, so a refund committed meanwhile is either in both the period and the balance or in neither.
  const stated = await tx.vendorLedgerEntry.aggregate({ where: { vendorId, currency, kind: { in: BALANCE_KINDS }, statementId: { not: null } }, _sum: { amount: true } });
  const period = await tx.vendorLedgerEntry.findMany({ where: { vendorId, currency, statementId: null }, orderBy: { at: 'asc' } });
  const last = await tx.payoutStatement.findFirst({ where: { vendorId, currency }, orderBy: { sequence: 'desc' } });
  const sequence = (last?.sequence ?? 0) + 1;
  const id = derivedId(`payout/${vendorId}/${currency}/${sequence}`);
  const sum = (kind: string) => period.filter((e) => e.kind === kind).reduce((total, e) => total + e.amount, 0);
  const earnings = sum('earning');
  const refunds = sum('refund');
  const openingBalance = stated._sum.amount ?? 0;
  const balance = openingBalance + earnings + refunds;

  let status: 'paid' | 'no_account' | 'nothing_due' | 'failed' = 'nothing_due';
  let transferId: string | null = null;
  let failureReason: string | null = null;
  if (balance > 0 && !account) status = 'no_account';
  if (balance > 0 && account) {
    try {
      const transfer = await deps.provider.createTransfer({
        statementId: id,
        vendorId,
        amount: balance,
        currency,
        destination: account.stripeAccountId,
        transferGroup: `payout_${id}`,
      });
      status = 'paid';
      transferId = transfer.id;
    } catch (error) {
      // Refused (a closed account, say): the balance stays owed and the next run tries again.
      if (!(error instanceof StripeApiError)) throw error;
      status = 'failed';
      failureReason = error.message;
    }
  }
  const amountPaid = status === 'paid' ? balance : 0;
  const statement = await tx.payoutStatement.create({
    data: {
      id,
      vendorId,
      currency,
      sequence,
      periodStart: last?.periodEnd ?? period[0]?.at ?? null,
      periodEnd: now,
      openingBalance,
      earnings,
      fees: sum('fee'),
      refunds,
      feeReversals: sum('fee_reversal'),
      balance,
      status,
      amountPaid,
      closingBalance: balance - amountPaid,
      destination: account?.stripeAccountId ?? null,
      transferId,
      failureReason,
      createdAt: now,
    },
  });
  await tx.vendorLedgerEntry.updateMany({ where: { id: { in: period.map((e) => e.id) } }, data: { statementId: id } });
  if (amountPaid > 0) {
    const vendorType = period.at(-1)?.vendorType ?? (await tx.vendorLedgerEntry.findFirstOrThrow({ where: { vendorId }, orderBy: { at: 'desc' } })).vendorType;
    await tx.vendorLedgerEntry.create({
      data: { id: randomUUID(), vendorId, vendorType, kind: 'payout', amount: -amountPaid, currency, orderId: null, orderNumber: null, reference: id, statementId: id, at: now },
    });
  }
  await emit(tx, payoutStatementIssued, vendorId, {
    statementId: id,
    vendorId,
    currency,
    sequence,
    periodStart: statement.periodStart?.toISOString() ?? null,
    periodEnd: now.toISOString(),
    earnings,
    fees: statement.fees,
    refunds,
    balance,
    status,
    amountPaid,
    closingBalance: statement.closingBalance,
    transferId,
  }, now);
  return statement;
}

/** `PUT /vendors/:vendorId/payout-account`: where the vendor is paid from the next run on. */
export async function setPayoutAccount(db: Database, deps: BillingDeps, vendorId: string, stripeAccountId: string) {
  const updatedAt = deps.clock.now();
  const account = await db.vendorPayoutAccount.upsert({ where: { vendorId }, create: { vendorId, stripeAccountId, updatedAt }, update: { stripeAccountId, updatedAt } });
  return { vendorId: account.vendorId, stripeAccountId: account.stripeAccountId, updatedAt: account.updatedAt.toISOString() };
}

/** `GET /vendors/:vendorId/ledger`: balance per currency and the newest entries (a vendor without any has none). */
export async function vendorLedger(db: Database, vendorId: string, limit: number): Promise<VendorLedger> {
  const [balances, entries] = await db.$transaction(
    [
      db.vendorLedgerEntry.groupBy({ by: ['currency'], where: { vendorId, kind: { in: BALANCE_KINDS } }, _sum: { amount: true }, orderBy: { currency: 'asc' } }),
      db.vendorLedgerEntry.findMany({ where: { vendorId }, orderBy: [{ at: 'desc' }, { kind: 'asc' }], take: limit }),
    ],
    { isolationLevel: 'RepeatableRead' },
  );
  return { vendorId, balances: balances.map((b) => ({ currency: b.currency, balance: b._sum?.amount ?? 0 })), entries: entries.map(entryView) };
}

/** `GET /vendors/:vendorId/payouts`: the connected account and the statements, newest first. */
export async function vendorPayouts(db: Database, vendorId: string): Promise<VendorPayouts> {
  const [account, statements] = await Promise.all([
    db.vendorPayoutAccount.findUnique({ where: { vendorId } }),
    db.payoutStatement.findMany({ where: { vendorId }, orderBy: [{ createdAt: 'desc' }, { sequence: 'desc' }] }),
  ]);
  return { vendorId, stripeAccountId: account?.stripeAccountId ?? null, statements: statements.map(statementView) };
}

function entryView(entry: VendorLedgerEntry): VendorLedger['entries'][number] {
  return {
    id: entry.id,
    kind: entry.kind as VendorLedger['entries'][number]['kind'],
    amount: entry.amount,
    currency: entry.currency,
    orderId: entry.orderId,
    subOrder: entry.orderId ? { orderNumber: entry.orderNumber, vendorId: entry.vendorId } : null,
    reference: entry.reference,
    statementId: entry.statementId,
    at: entry.at.toISOString(),
  };
}

function statementView(statement: PayoutStatement): PayoutStatementView {
  return {
    id: statement.id,
    vendorId: statement.vendorId,
    currency: statement.currency,
    sequence: statement.sequence,
    period: { start: statement.periodStart?.toISOString() ?? null, end: statement.periodEnd.toISOString() },
    openingBalance: statement.openingBalance,
    earnings: statement.earnings,
    fees: statement.fees,
    refunds: statement.refunds,
    feeReversals: statement.feeReversals,
    balance: statement.balance,
    status: statement.status as PayoutStatementView['status'],
    amountPaid: statement.amountPaid,
    closingBalance: statement.closingBalance,
    destination: statement.destination,
    transferId: statement.transferId,
    failureReason: statement.failureReason,
    createdAt: statement.createdAt.toISOString(),
  };
}
