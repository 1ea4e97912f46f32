-- One database per service (the README (Services, Configuration)). Run once by the postgres image on an empty volume
-- (/docker-entrypoint-initdb.d); each service's own migrations create its tables.
CREATE DATABASE orders;
CREATE DATABASE fulfillment;
CREATE DATABASE tracking;
CREATE DATABASE notifications;
CREATE DATABASE billing;
