import type { DeliveryChannel, NotificationPreferences, UpdatePreferencesRequest } from '@platform/contracts/api/notifications';
import { DomainError } from '@platform/contracts/errors';
import type { Database, Transaction } from '../adapters/database';
import { toStoredPreferences } from '../adapters/notification-store';
import { type CustomerSnapshot, effectivePreferences, type StoredPreferences } from '../domain/preferences';

type Reader = Pick<Transaction, 'customerPreferences' | 'orderContext' | 'customerDevice'>;

/** The customer's stored choices, or null when they never changed anything. */
export async function storedPreferences(db: Reader, customerId: string): Promise<StoredPreferences | null> {
  const row = await db.customerPreferences.findUnique({ where: { customerId } });
  return row && toStoredPreferences(row);
}

/** The customer as their latest order describes them (locale, timezone, phone), if we saw one. */
async function latestSnapshot(db: Reader, customerId: string): Promise<CustomerSnapshot | null> {
  const latest = await db.orderContext.findFirst({ where: { customerId }, orderBy: { orderCreatedAt: 'desc' } });
  return (latest?.customer as CustomerSnapshot | undefined) ?? null;
}

export async function devicesOf(db: Reader, customerId: string) {
  const devices = await db.customerDevice.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } });
  return devices.map((d) => ({ token: d.token, platform: d.platform as 'ios' | 'android' | 'web' }));
}

/** `GET /customers/:customerId/preferences`. */
export async function readPreferences(db: Reader, customerId: string): Promise<NotificationPreferences> {
  const [stored, snapshot, devices] = await Promise.all([storedPreferences(db, customerId), latestSnapshot(db, customerId), devicesOf(db, customerId)]);
  const effective = effectivePreferences(stored, snapshot);
  return {
    customerId,
    channels: effective.channels,
    language: effective.language,
    timezone: effective.timezone,
    quietHours: effective.quietHours,
    phoneNumber: effective.phoneNumber,
    devices,
    customized: effective.customized,
    version: effective.version,
  };
}

/**
 * `PUT /customers/:customerId/preferences`: merges the given fields into the stored choices
 * (starting from the defaults), under a row lock so two concurrent updates both apply.
 */
export async function updatePreferences(db: Database, customerId: string, patch: UpdatePreferencesRequest, now: Date): Promise<NotificationPreferences> {
  try {
    await db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT 1 FROM customer_preferences WHERE customer_id = ${customerId} FOR UPDATE`;
      const current = await storedPreferences(tx, customerId);
      const channel = (name: DeliveryChannel) => ({ ...current?.channels[name], ...patch.channels?.[name] });
      // Without a stored row the customer had the default quiet hours; a patch without quietHours keeps them.
      const quietHours = patch.quietHours !== undefined ? patch.quietHours : current ? current.quietHours : effectivePreferences(null, null).quietHours;
      const data = {
        email: channel('email'),
        sms: channel('sms'),
        push: channel('push'),
        inApp: channel('in_app'),
        language: patch.language !== undefined ? patch.language : (current?.language ?? null),
        timezone: patch.timezone !== undefined ? patch.timezone : (current?.timezone ?? null),
        quietHoursStart: quietHours?.start ?? null,
        quietHoursEnd: quietHours?.end ?? null,
        phoneNumber: patch.phoneNumber !== undefined ? patch.phoneNumber : (current?.phoneNumber ?? null),
      };
      if (current) await tx.customerPreferences.update({ where: { customerId }, data: { ...data, version: { increment: 1 }, updatedAt: now } });
      else await tx.customerPreferences.create({ data: { customerId, ...data, createdAt: now, updatedAt: now } });
    });
  } catch (error) {
    // Two first-time saves raced on the insert: the loser retries from the stored row.
    if ((error as { code?: string }).code === 'P2002') throw new DomainError('conflict', 'PREFERENCES_CONFLICT', 'Preferences changed at the same time; try again');
    throw error;
  }
  return readPreferences(db, customerId);
}

/**
 * `PUT /customers/:customerId/devices`: a token belongs to the customer who registered it first
 * and is never moved silently. Another customer registering it gets DEVICE_TOKEN_IN_USE and
 * nothing changes; the token changes hands only after its owner deregistered it (the app does
 * so at sign-out). Rule and reasons: docs/push-devices.md.
 */
export async function registerDevice(db: Database, customerId: string, device: { token: string; platform: string }) {
  // Insert-or-keep in one statement: two customers racing for a new token cannot both win.
  await db.customerDevice.upsert({
    where: { token: device.token },
    create: { token: device.token, customerId, platform: device.platform },
    update: {},
  });
  const owner = await db.customerDevice.findUnique({ where: { token: device.token } });
  if (owner?.customerId !== customerId) {
    throw new DomainError('conflict', 'DEVICE_TOKEN_IN_USE', 'This device is registered to another account; sign out there first', [
      { pointer: '/token', detail: 'already registered to another account' },
    ]);
  }
  if (owner.platform !== device.platform) await db.customerDevice.update({ where: { token: device.token }, data: { platform: device.platform } });
  return { customerId, devices: await devicesOf(db, customerId) };
}

/** `DELETE /customers/:customerId/devices/:token`: the owner lets the token go (sign-out); anyone else gets 404. */
export async function deregisterDevice(db: Database, customerId: string, token: string) {
  const { count } = await db.customerDevice.deleteMany({ where: { token, customerId } });
  if (count === 0) throw new DomainError('not_found', 'DEVICE_NOT_FOUND', 'No such device for this customer');
  return { customerId, devices: await devicesOf(db, customerId) };
}
