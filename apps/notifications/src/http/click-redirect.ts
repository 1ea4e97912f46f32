import { verifyClickLink } from '@platform/config/click-links';
import type { Clock } from '@platform/runtime/clock';
import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { z } from 'zod';
import type { Database } from '../adapters/database';
import { markClicked } from '../adapters/notification-store';
import type { OrderLinks } from '../application/order-links';

export interface ClickRedirectDeps {
  db: Database;
  clock: Clock;
  links: OrderLinks;
  /** CLICK_LINK_SECRET; unset: no link was wrapped, so no token can be ours. */
  secret: string | undefined;
}

const clickParamsSchema = z.object({ token: z.string().min(1).max(200) });

/**
 * `GET /c/:token` (the gateway's public `/c/:token`): a link followed from a message. The token
 * is checked before anything else; a bad or changed one is refused 400 and redirects nowhere,
 * and a good one can only lead to our order page or a tracking page. It records the click
 * (`markClicked`: the first counts) and answers 302 to the page the link stood for.
 */
export function registerClickRedirect(app: PlatformHttpServer, deps: ClickRedirectDeps): void {
  app.get('/c/:token', { schema: { params: clickParamsSchema } }, async (request, reply) => {
    const check = deps.secret ? verifyClickLink(deps.secret, request.params.token) : ({ ok: false, reason: 'forged' } as const);
    if (!check.ok) throw new DomainError('invalid', 'CLICK_LINK_INVALID', `This link is not one of ours (${check.reason})`);
    const orderId = await markClicked(deps.db, check.notificationId, deps.clock.now());
    if (!orderId) throw new DomainError('not_found', 'NOTIFICATION_NOT_FOUND', 'The message this link came in is no longer kept');
    return reply.code(302).header('location', deps.links.clickTarget(check, orderId)).header('cache-control', 'no-store').send();
  });
}
