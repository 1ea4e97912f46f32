import { verifyClickLink } from '@platform/config/click-links';
import type { Clock } from '@platform/runtime/clock';
import { DomainError } from '@platform/contracts/errors';
import type { Database } from '../adapters/database';
import { markClicked } from '../adapters/notification-store';
import type { OrderLinks } from './order-links';

export interface ClickDeps {
  db: Database;
  clock: Clock;
  links: OrderLinks;
  /** CLICK_LINK_SECRET; unset: no link was wrapped, so no token can be ours. */
  secret: string | undefined;
}

/**
 * A link followed from a message (docs/notification-admin.md#clicks): the token is checked
 * before anything else, and a bad or changed one is refused (it leads nowhere), so only our order
 * page or a tracking page can be the answer. The click is recorded (`markClicked`: the first
 * counts); returns the page the link stood for.
 */
export async function followClick(deps: ClickDeps, token: string): Promise<string> {
  const check = deps.secret ? verifyClickLink(deps.secret, token) : ({ ok: false, reason: 'forged' } as const);
  if (!check.ok) throw new DomainError('invalid', 'CLICK_LINK_INVALID', `This link is not one of ours (${check.reason})`);
  const orderId = await markClicked(deps.db, check.notificationId, deps.clock.now());
  if (!orderId) throw new DomainError('not_found', 'NOTIFICATION_NOT_FOUND', 'The message this link came in is no longer kept');
  return deps.links.clickTarget(check, orderId);
}
