#!/bin/sh
# Runs once, on the first start of an empty data volume (docker-entrypoint-initdb.d), as the
# image's superuser. The product never connects as that superuser: migrations run as the owner
# role, web/worker/beat as the app role, which owns nothing and cannot disable the audit log's
# append-only triggers (docs/operations/db_roles.md, ADR 0018).
set -eu
# Each password from its secret file (compose secrets) or, failing that, from the variable.
[ -n "${DVPROTECT_OWNER_PASSWORD_FILE:-}" ] && DVPROTECT_OWNER_PASSWORD="$(cat "$DVPROTECT_OWNER_PASSWORD_FILE")"
[ -n "${DVPROTECT_APP_PASSWORD_FILE:-}" ] && DVPROTECT_APP_PASSWORD="$(cat "$DVPROTECT_APP_PASSWORD_FILE")"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$DVPROTECT_OWNER_PASSWORD" -v app_pw="$DVPROTECT_APP_PASSWORD" <<'SQL'
CREATE ROLE dvprotect_owner LOGIN PASSWORD :'owner_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE ROLE dvprotect_app LOGIN PASSWORD :'app_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE DATABASE dvprotect OWNER dvprotect_owner;
\c dvprotect
REVOKE ALL ON DATABASE dvprotect FROM PUBLIC;
GRANT CONNECT ON DATABASE dvprotect TO dvprotect_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO dvprotect_owner;
GRANT USAGE ON SCHEMA public TO dvprotect_app;
SQL
