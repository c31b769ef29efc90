#!/usr/bin/env bash
# run.sh BINARY - serve auth-service against a reachable PostgreSQL: the
# DATABASE_URL given, else a local one found or started by pg-ensure.sh,
# with the database auth_service created when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=${1:-bin/auth-service}

url=$(bash scripts/pg-ensure.sh --database "${AUTH_DB_NAME:-auth_service}")
export DATABASE_URL=$url

addr=${HTTP_ADDR:-:5000}
port=${addr##*:}
cat >&2 <<MSG

auth-service is starting on http://localhost:${port}  (Ctrl-C stops it)
  register: curl -s -X POST localhost:${port}/v1/auth/register \\
              -H 'Content-Type: application/json' \\
              -d '{"email":"ana@example.com","password":"correct horse battery"}'
  log in:   curl -s -X POST localhost:${port}/v1/auth/login \\
              -H 'Content-Type: application/json' \\
              -d '{"email":"ana@example.com","password":"correct horse battery"}'
  The README walks through every route. Logs follow as JSON lines.

MSG
exec "$bin" serve
