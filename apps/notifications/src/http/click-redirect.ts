import { verifyClickLink } from '@platform/config/click-links';
import type { Clock } from '@platform/runtime/clock';
import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { z } from 'zod';
import type { Database } from '../adapters/database';
import { markClicked } from '../adapters/notification-store';

export interface ClickRedirectDeps {
  db: Database;
  clock: Clock;
  /** CLICK_LINK_SECRET; unset: no link was wrapped, so no token can be ours. */
  secret: string | undefined;
}

const clickParamsSchema = z.object({ token: z.string().min(1).max(8_000) });

/**
 * `GET /c/:token` (the gateway's public `/c/:token`): a link followed from a message. The token
 * is checked before anything else; a bad or changed one is refused 400 and redirects nowhere,
 * so only targets we signed are ever redirected to. A good one records the click
 * (`markClicked`: the first counts) and answers 302 to the signed target.
 */
export function registerClickRedirect(app: PlatformHttpServer, deps: ClickRedirectDeps): void {
  app.get('/c/:token', { schema: { params: clickParamsSchema } }, async (request, reply) => {
    const check = deps.secret ? verifyClickLink(deps.secret, request.params.token) : ({ ok: false, reason: 'forged' } as const);
    if (!check.ok) throw new DomainError('invalid', 'CLICK_LINK_INVALID', `This link is not one of ours (${check.reason})`);
    // A test send's or a deleted notification's link still leads on: the signature says we wrote it.
    if (!(await markClicked(deps.db, check.notificationId, deps.clock.now()))) request.log.info({ notificationId: check.notificationId }, 'click on a link of no stored notification');
    return reply.code(302).header('location', check.target).header('cache-control', 'no-store').send();
  });
}
