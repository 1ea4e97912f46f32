import { fileURLToPath } from 'node:url';
import { databaseEnv, envHelpers, loadEnvOrExit, ServiceRuntime, serviceEnv } from '@platform/config';
import { orderCreated, streams } from '@platform/contracts';
import { z } from 'zod';
import { createDatabase, type Transaction } from './adapters/database';
import { createSmtpMailer } from './adapters/mailer';
import { TemplateRenderer } from './adapters/template-renderer';
import { sendOrderConfirmation } from './consumers/order-created';

const env = loadEnvOrExit(
  serviceEnv.extend(databaseEnv.shape).extend({
    PORT: envHelpers.port.default(8084),
    SMTP_URL: envHelpers.url(['smtp:', 'smtps:']).default('smtp://127.0.0.1:1025'),
    MAIL_FROM: z.string().min(3).default('Shop <orders@shop.local>'),
    STORE_NAME: z.string().min(1).default('Shop'),
    SUPPORT_EMAIL: z.email().default('support@shop.local'),
    /** Emails sent at once; each holds one SMTP connection and one database transaction. */
    SEND_CONCURRENCY: envHelpers.positiveInt.max(32).default(8),
  }),
);
const runtime = await ServiceRuntime.start('notifications', env);
// Each concurrent send holds a connection (its transaction); the relay and /readyz need theirs.
const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, env.SEND_CONCURRENCY + 3));
const mailer = createSmtpMailer(env.SMTP_URL, env.MAIL_FROM, env.SEND_CONCURRENCY);
runtime.onShutdown(async () => mailer.close());
runtime.startOutboxRelay(db);

// templates/ sits beside src/ and dist/, so the same path works from source and from the bundle.
const renderer = new TemplateRenderer(fileURLToPath(new URL('../templates', import.meta.url)));
runtime.addConsumer<Transaction>({
  name: 'notifications--order-confirmation',
  stream: streams.ORDERS.name,
  filterSubject: orderCreated.type,
  concurrency: env.SEND_CONCURRENCY,
  db,
  subscriptions: [sendOrderConfirmation({ renderer, mailer, store: { storeName: env.STORE_NAME, supportEmail: env.SUPPORT_EMAIL } })],
});

const app = runtime.createHttpServer();
await runtime.serve(app);
