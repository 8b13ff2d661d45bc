-- One database per service (API.md, Services and ports), each owned by a role of its own that
-- is neither superuser nor BYPASSRLS: row-level security binds the services (the migrations
-- FORCE it on their own tables). Local passwords only; production roles are the operator's
-- (docs/operations.md, "Database roles").
CREATE ROLE ats LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'ats-dev-password';
CREATE ROLE bd LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'bd-dev-password';
CREATE ROLE ta LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'ta-dev-password';
CREATE DATABASE ats OWNER ats;
CREATE DATABASE bd OWNER bd;
CREATE DATABASE ta OWNER ta;
\connect ats
ALTER SCHEMA public OWNER TO ats;
\connect bd
ALTER SCHEMA public OWNER TO bd;
\connect ta
ALTER SCHEMA public OWNER TO ta;
