import { actorOf } from '@platform/runtime/actor';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  priceBookQuerySchema,
  priceBookSchema,
  putPriceBookEntriesRequestSchema,
  quoteRequestSchema,
  quoteSchema,
} from '@platform/contracts/api/orders';
import { problemSchema } from '@platform/contracts/api/problem';
import type { OrdersDeps } from '../application/dependencies';
import { putPriceBookEntries, readPriceBook } from '../application/price-book';
import { quote } from '../application/quote';
import { assertAdmin } from '../domain/actor';

const problems = { 400: problemSchema, 403: problemSchema, 422: problemSchema };

/** Batch quotes and the price book (ORD-02). */
export function registerPriceRoutes(app: PlatformHttpServer, deps: Pick<OrdersDeps, 'db' | 'clock'>): void {
  app.post('/quotes', { schema: { body: quoteRequestSchema, response: { 200: quoteSchema, ...problems } } }, async (request) => {
    const actor = actorOf(request);
    // A customer is quoted its own agreement prices, never another customer's.
    const customerId = actor.role === 'customer' ? (actor.customerId ?? undefined) : request.body.customerId;
    return quote(deps.db, { ...request.body, customerId }, deps.clock.now());
  });

  app.get('/price-book', { schema: { querystring: priceBookQuerySchema, response: { 200: priceBookSchema, ...problems } } }, async (request) => ({
    entries: await readPriceBook(deps.db, request.query, actorOf(request)),
  }));

  app.put(
    '/price-book/entries',
    { schema: { body: putPriceBookEntriesRequestSchema, response: { 200: priceBookSchema, ...problems } } },
    async (request) => {
      assertAdmin(actorOf(request));
      return { entries: await putPriceBookEntries(deps.db, request.body.entries, deps.clock.now()) };
    },
  );
}
