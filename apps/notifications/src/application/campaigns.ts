import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import type { EventData, orderDelayed, orderStatusChanged } from '@platform/contracts';
import type { Campaign, CampaignSegment, CreateCampaignRequest } from '@platform/contracts/api/notification-admin';
import { timers } from '@platform/contracts/timers';
import { scheduleTimer, type DueTimer } from '@platform/runtime/timers';
import { campaignCounts, countDelayedCustomers, markReleased, queueDelayedCustomers, queuedRecipients, saveDelay, settleDelay } from '../adapters/campaign-store';
import type { Database, Transaction } from '../adapters/database';
import type { NotificationCampaign } from '../generated/prisma/client';
import { lateCutoff, lateSince, pacing, SETTLED_STATUSES } from '../domain/campaigns';
import { noticeKey } from '../domain/notices';
import { planItemsNotice } from './notices';
import { type NotificationDeps, notificationId } from './notifications';

/*
 * Bulk sends to a segment (NTF-04, docs/notification-admin.md#bulk-sends). Starting a campaign
 * (or posting its name again) queues the segment's customers, one row per campaign and
 * customer; its release timer then plans their messages a batch at a time, paced to
 * CAMPAIGN_SENDS_PER_MINUTE. Each batch marks its recipients in the transaction that plans their
 * notifications, so a rerun, a second replica or a restart mid-way finds them marked and sends
 * nothing twice; a batch cut off before its commit plans nothing and is fired again.
 */

export const CAMPAIGN_RELEASE = timers.notifications.campaignRelease.kind;

export interface CampaignDeps {
  notifications: NotificationDeps;
  sendsPerMinute: number;
}

/** `orders.order.delayed`: the order joins the delayed orders read model. */
export function noteDelay(tx: Transaction, delayed: EventData<typeof orderDelayed>): Promise<void> {
  const flaggedAt = new Date(delayed.flaggedAt);
  return saveDelay(tx, { orderId: delayed.orderId, customerId: delayed.customer.id, lateSince: lateSince(delayed.promise, flaggedAt), promise: delayed.promise, flaggedAt });
}

/** `orders.order.status_changed` to a final status: the order leaves the segment. */
export async function noteSettled(tx: Transaction, change: EventData<typeof orderStatusChanged>, now: Date): Promise<void> {
  if (SETTLED_STATUSES.has(change.status)) await settleDelay(tx, change.orderId, now);
}

async function campaignView(db: Database, campaign: NotificationCampaign): Promise<Campaign> {
  return {
    id: campaign.id,
    name: campaign.name,
    template: campaign.template as Campaign['template'],
    channel: campaign.channel as Campaign['channel'],
    segment: campaign.segment as CampaignSegment,
    status: campaign.status as Campaign['status'],
    sendsPerMinute: campaign.sendsPerMinute,
    createdBy: campaign.createdBy,
    createdAt: campaign.createdAt.toISOString(),
    lastRunAt: campaign.lastRunAt.toISOString(),
    counts: await campaignCounts(db, campaign.id),
  };
}

const sameDefinition = (campaign: NotificationCampaign, request: CreateCampaignRequest) =>
  campaign.template === request.template && campaign.channel === request.channel && JSON.stringify(campaign.segment) === JSON.stringify(request.segment);

/**
 * `POST /notification-campaigns`: a dry run counts the segment; otherwise the campaign of that
 * name is created (or run again), the segment's new customers queued, and its release timer set
 * for now unless a release is already pending. `created` tells which.
 */
export async function startCampaign(deps: CampaignDeps, request: CreateCampaignRequest, actor: string, now: Date) {
  const { db } = deps.notifications;
  const cutoff = lateCutoff(request.segment, now);
  if (request.dryRun) return { dryRun: true as const, recipients: await countDelayedCustomers(db, cutoff) };
  const { campaign, created } = await db.$transaction(async (tx) => {
    // Two posts of one name at once: the second waits and finds the first's campaign.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('notifications.campaign'), hashtext(${request.name}))`;
    const existing = await tx.notificationCampaign.findUnique({ where: { name: request.name } });
    if (existing && !sameDefinition(existing, request)) {
      throw new DomainError('conflict', 'CAMPAIGN_DIFFERS', `Campaign ${request.name} exists with another template, channel or segment; run it again with the same ones or choose another name`);
    }
    const campaign = existing
      ? await tx.notificationCampaign.update({ where: { id: existing.id }, data: { status: 'running', lastRunAt: now } })
      : await tx.notificationCampaign.create({
          data: {
            id: randomUUID(),
            name: request.name,
            template: request.template,
            channel: request.channel,
            segment: request.segment,
            status: 'running',
            sendsPerMinute: deps.sendsPerMinute,
            createdBy: actor,
            createdAt: now,
            lastRunAt: now,
          },
        });
    await queueDelayedCustomers(tx, campaign.id, cutoff, now);
    // A release already pending keeps its time: running again must not outpace the rate.
    if (existing?.status !== 'running') await scheduleTimer(tx, { kind: CAMPAIGN_RELEASE, key: campaign.id, fireAt: now });
    return { campaign, created: !existing };
  });
  return { dryRun: false as const, created, campaign: await campaignView(db, campaign) };
}

/** `GET /notification-campaigns/:id`. */
export async function readCampaign(db: Database, id: string): Promise<Campaign> {
  const campaign = await db.notificationCampaign.findUnique({ where: { id } });
  if (!campaign) throw new DomainError('not_found', 'CAMPAIGN_NOT_FOUND', 'No such campaign');
  return campaignView(db, campaign);
}

/**
 * The release timer: plans the next batch of the campaign's queued recipients (only on its
 * channel, in each customer's language, under their preferences and quiet hours as any message)
 * and sets itself for the next interval while any remain; then the campaign is done. A recipient
 * whose order settled meanwhile is skipped.
 */
export function releaseCampaign(deps: CampaignDeps) {
  return async (timer: DueTimer, tx: Transaction, now: Date): Promise<void> => {
    const campaign = await tx.notificationCampaign.findUnique({ where: { id: timer.key } });
    if (!campaign || campaign.status !== 'running') return;
    const { batch, intervalMs } = pacing(campaign.sendsPerMinute);
    // One more than the batch tells whether another release is due.
    const waiting = await queuedRecipients(tx, campaign.id, batch + 1);
    for (const recipient of waiting.slice(0, batch)) {
      let planned: string | null = null;
      if (!recipient.settled) {
        const notice = { kind: 'delay_apology' as const, campaignId: campaign.id, promise: recipient.promise };
        const channel = campaign.channel as Campaign['channel'];
        const inserted = await planItemsNotice(deps.notifications, tx, recipient.orderId, notice, timer.id, now, [channel]);
        if (inserted > 0) planned = notificationId(recipient.orderId, noticeKey(notice), channel);
      }
      await markReleased(tx, campaign.id, recipient.customerId, { notificationId: planned, now });
    }
    if (waiting.length > batch) await scheduleTimer(tx, { kind: CAMPAIGN_RELEASE, key: campaign.id, fireAt: new Date(now.getTime() + intervalMs) });
    else await tx.notificationCampaign.update({ where: { id: campaign.id }, data: { status: 'done' } });
  };
}
