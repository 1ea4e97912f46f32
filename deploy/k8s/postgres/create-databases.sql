-- One database per service (the README (Services, Configuration)), each owned by the service's own
-- role: it logs in, is not a superuser, may create neither roles nor databases, and PUBLIC's
-- CONNECT is revoked, so one service's role cannot open another service's database. The
-- migrations run as that role and create its tables. Run once by the postgres image on an empty
-- volume (/docker-entrypoint-initdb.d, through psql 15+ for \getenv), with the passwords in
-- <SERVICE>_DATABASE_PASSWORD of the server's environment. test/integration/database-roles.test.ts runs it.

-- Every password first: a missing one stops the script before anything is created.
\getenv orders_password ORDERS_DATABASE_PASSWORD
\if :{?orders_password}
\else
  \warn ORDERS_DATABASE_PASSWORD is not set
  \set password_missing
\endif
\getenv fulfillment_password FULFILLMENT_DATABASE_PASSWORD
\if :{?fulfillment_password}
\else
  \warn FULFILLMENT_DATABASE_PASSWORD is not set
  \set password_missing
\endif
\getenv tracking_password TRACKING_DATABASE_PASSWORD
\if :{?tracking_password}
\else
  \warn TRACKING_DATABASE_PASSWORD is not set
  \set password_missing
\endif
\getenv notifications_password NOTIFICATIONS_DATABASE_PASSWORD
\if :{?notifications_password}
\else
  \warn NOTIFICATIONS_DATABASE_PASSWORD is not set
  \set password_missing
\endif
\getenv billing_password BILLING_DATABASE_PASSWORD
\if :{?billing_password}
\else
  \warn BILLING_DATABASE_PASSWORD is not set
  \set password_missing
\endif
\if :{?password_missing}
  DO $$ BEGIN RAISE EXCEPTION 'a service role password is not set (see above)'; END $$;
\endif

CREATE ROLE orders LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'orders_password';
CREATE DATABASE orders;
ALTER DATABASE orders OWNER TO orders;
REVOKE ALL ON DATABASE orders FROM PUBLIC;

CREATE ROLE fulfillment LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'fulfillment_password';
CREATE DATABASE fulfillment;
ALTER DATABASE fulfillment OWNER TO fulfillment;
REVOKE ALL ON DATABASE fulfillment FROM PUBLIC;

CREATE ROLE tracking LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'tracking_password';
CREATE DATABASE tracking;
ALTER DATABASE tracking OWNER TO tracking;
REVOKE ALL ON DATABASE tracking FROM PUBLIC;

CREATE ROLE notifications LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'notifications_password';
CREATE DATABASE notifications;
ALTER DATABASE notifications OWNER TO notifications;
REVOKE ALL ON DATABASE notifications FROM PUBLIC;

CREATE ROLE billing LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'billing_password';
CREATE DATABASE billing;
ALTER DATABASE billing OWNER TO billing;
REVOKE ALL ON DATABASE billing FROM PUBLIC;
