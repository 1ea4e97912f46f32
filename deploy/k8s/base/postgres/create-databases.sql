-- One database per service (the README (Services, Configuration)), each owned by the service's own
-- role: it logs in, is not a superuser, may create neither roles nor databases, and PUBLIC's
-- CONNECT is revoked, so one service's role cannot open another service's database. The
-- migrations run as that role and create its tables. Run once by the postgres image on an empty
-- volume (/docker-entrypoint-initdb.d, through psql 15+ for \getenv), with the passwords in
-- <SERVICE>_DATABASE_PASSWORD of the server's environment. test/integration/database-roles.test.ts runs it.

\getenv orders_password ORDERS_DATABASE_PASSWORD
\getenv fulfillment_password FULFILLMENT_DATABASE_PASSWORD
\getenv tracking_password TRACKING_DATABASE_PASSWORD
\getenv notifications_password NOTIFICATIONS_DATABASE_PASSWORD
\getenv billing_password BILLING_DATABASE_PASSWORD

-- A missing password stops the script before anything is created.
SELECT :{?orders_password} AND :{?fulfillment_password} AND :{?tracking_password} AND :{?notifications_password} AND :{?billing_password} AS passwords_set \gset
\if :passwords_set
\else
  \warn 'Set every service role password: ORDERS_, FULFILLMENT_, TRACKING_, NOTIFICATIONS_ and BILLING_DATABASE_PASSWORD.'
  DO $$ BEGIN RAISE EXCEPTION 'a service role password is not set'; END $$;
\endif

-- \gexec runs each statement the query returns (outside a transaction, as CREATE DATABASE needs).
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', name, password)
FROM (VALUES ('orders', :'orders_password'),
             ('fulfillment', :'fulfillment_password'),
             ('tracking', :'tracking_password'),
             ('notifications', :'notifications_password'),
             ('billing', :'billing_password')) AS service (name, password)
\gexec

CREATE DATABASE orders;
CREATE DATABASE fulfillment;
CREATE DATABASE tracking;
CREATE DATABASE notifications;
CREATE DATABASE billing;

SELECT format('ALTER DATABASE %I OWNER TO %I', datname, datname), format('REVOKE ALL ON DATABASE %I FROM PUBLIC', datname)
FROM pg_database WHERE datname IN ('orders', 'fulfillment', 'tracking', 'notifications', 'billing')
\gexec
