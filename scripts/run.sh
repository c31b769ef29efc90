#!/usr/bin/env bash
# run.sh BINARY - serve auth-service for development against a reachable
# PostgreSQL: DATABASE_URL when set, else a local one found or started by
# pg-ensure.sh, with the database auth_db created when missing. Seeds a
# development administrator whose password is kept in .secrets/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=${1:-bin/auth-service}

url=$(bash scripts/pg-ensure.sh --database "${AUTH_DB_NAME:-auth_db}")
export DATABASE_URL=$url

if [[ -z ${ADMIN_EMAIL:-} ]]; then
  mkdir -p .secrets && chmod 700 .secrets
  if [[ ! -s .secrets/dev-admin-password ]]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >.secrets/dev-admin-password)
  fi
  export ADMIN_EMAIL=admin@example.com
  ADMIN_PASSWORD=$(<.secrets/dev-admin-password)
  export ADMIN_PASSWORD
fi

addr=${HTTP_ADDR:-:5000}
port=${addr##*:}
cat >&2 <<MSG

auth-service is starting on http://localhost:${port}  (Ctrl-C stops it)
  administrator: ${ADMIN_EMAIL} (password in .secrets/dev-admin-password, unless you set ADMIN_*)
  register:      curl -s -X POST localhost:${port}/v1/auth/register \\
                   -H 'Content-Type: application/json' \\
                   -d '{"email":"ana@example.com","password":"correct horse battery"}'
  log in:        curl -s -X POST localhost:${port}/v1/auth/login \\
                   -H 'Content-Type: application/json' \\
                   -d '{"email":"ana@example.com","password":"correct horse battery"}'
  The README walks through every route. Logs follow as JSON lines.

MSG
exec "$bin" serve
