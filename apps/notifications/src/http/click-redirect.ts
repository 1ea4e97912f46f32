import type { PlatformHttpServer } from '@platform/runtime/http';
import { z } from 'zod';
import { type ClickDeps, followClick } from '../application/clicks';

const clickParamsSchema = z.object({ token: z.string().min(1).max(200) });

/** `GET /c/:token` (the gateway's public `/c/:token`): 302 to the page a message's link stood for; a bad token is 400. */
export function registerClickRedirect(app: PlatformHttpServer, deps: ClickDeps): void {
  app.get('/c/:token', { schema: { params: clickParamsSchema } }, async (request, reply) => {
    const target = await followClick(deps, request.params.token);
    return reply.code(302).header('location', target).header('cache-control', 'no-store').send();
  });
}
