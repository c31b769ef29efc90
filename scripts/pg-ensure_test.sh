#!/usr/bin/env bash
# pg-ensure_test.sh - exercises scripts/pg-ensure.sh for real.
# Local-cluster cases run in throw-away copies of the script under a temp dir (never the repo's
# .pgdata) on ports $TEST_PG_PORT and $TEST_PG_PORT+1 (default: a random pair above 50000).
# The system server on 5432 is only read from. Part of make test; alone: bash scripts/pg-ensure_test.sh
set -euo pipefail

SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/pg-ensure.sh"
# A port pair of this run's own, so two runs on one machine do not collide.
PORT=${TEST_PG_PORT:-$((50000 + RANDOM % 10000))}
# The client tools, found the way pg-ensure.sh finds them (PATH, pg_config).
# shellcheck source=pg-ensure.sh
source "$SCRIPT"
PSQL_BIN=$(find_tool psql) || { echo "psql not found: run bash scripts/pg-ensure.sh first"; exit 1; }
ISREADY_BIN=$(find_tool pg_isready) || { echo "pg_isready not found: install postgresql-client"; exit 1; }
TMP=$(mktemp -d)
PASS=0 FAIL=0
OUT="" ERR="" RC=0

cleanup() {
  local r
  for r in "$TMP"/repo*; do
    if [[ -f $r/scripts/pg-ensure.sh ]]; then bash "$r/scripts/pg-ensure.sh" --stop >/dev/null 2>&1 || true; fi
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

run() { # run [env...] -- args : captures OUT, ERR, RC
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  RC=0
  OUT=$(env "${envs[@]}" bash "$@" 2>"$TMP/err") || RC=$?
  ERR=$(<"$TMP/err")
}
check() { # check DESCRIPTION CONDITION...
  local what=$1; shift
  if "$@"; then PASS=$((PASS + 1)); echo "ok   $what"
  else FAIL=$((FAIL + 1)); echo "FAIL $what"; echo "     rc=$RC out=[$OUT]"; printf '     | %s\n' "${ERR//$'\n'/$'\n'     | }"; fi
}
has() { [[ $1 == *"$2"* ]]; }
printed() { [[ $RC -eq 0 && $OUT == "$1" ]]; }      # succeeded and printed exactly $1
failed_with() { [[ $RC -ne 0 ]] && has "$ERR" "$1"; } # failed with $1 in the message
one_line() { [[ -n $OUT && $OUT != *$'\n'* ]]; }
answers() { "$PSQL_BIN" -X -w -Atq -d "$1" -c 'select 1' </dev/null >/dev/null 2>&1; }
new_repo() { mkdir -p "$TMP/$1/scripts" && cp "$SCRIPT" "$TMP/$1/scripts/" && echo "$TMP/$1"; }
chmod 755 "$TMP" # the postgres/nobody user must be able to traverse it

# (a) default path: 127.0.0.1:5432
if "$ISREADY_BIN" -q -h 127.0.0.1 -p 5432; then
  run -- "$SCRIPT"
  check "default: prints one URL" one_line
  check "default: URL answers" answers "$OUT"
  DEFAULT_URL=$OUT
  # (b) DATABASE_URL that answers is printed as-is
  run DATABASE_URL="$DEFAULT_URL" -- "$SCRIPT"
  check "DATABASE_URL ok: printed as-is" printed "$DEFAULT_URL"
else
  echo "skip default/DATABASE_URL cases: nothing answers on 127.0.0.1:5432"
fi

# (c) unreachable DATABASE_URL: clear, redacted failure
run DATABASE_URL='postgres://app:s3cr3t@127.0.0.1:1/postgres?sslmode=disable' -- "$SCRIPT"
check "bad DATABASE_URL: non-zero exit, empty stdout" test "$RC" -ne 0 -a -z "$OUT"
check "bad DATABASE_URL: message names it, redacted" has "$ERR" 'DATABASE_URL (postgres://app:***@127.0.0.1:1/'
check "bad DATABASE_URL: password never shown" test "${ERR/s3cr3t/}" = "$ERR"
run -- "$SCRIPT" --bogus
check "unknown argument rejected" test "$RC" -ne 0

# (d) project-local cluster lifecycle
R=$(new_repo repo1)
L=(AUTH_PG_SKIP_DEFAULT=1 AUTH_LOCAL_PG_PORT="$PORT")
run "${L[@]}" -- "$R/scripts/pg-ensure.sh" --status
check "status before init: rc 3" test "$RC" -eq 3
check "status names the server in use" has "$OUT" "in use: the project-local cluster"
run "${L[@]}" DATABASE_URL='postgres://app:s3cr3t@db:5432/x' -- "$R/scripts/pg-ensure.sh" --status
check "status with DATABASE_URL: named, redacted" has "$OUT" "in use: DATABASE_URL (postgres://app:***@db:5432/x)"
run "${L[@]}" -- "$R/scripts/pg-ensure.sh"
URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
check "local: initdb + start prints the URL" printed "$URL"
check "local: select version() works" answers "$URL"
check "local: cluster is self-git-ignored" test -f "$R/.pgdata/.gitignore"
[[ $EUID -eq 0 ]] && check "local: data dir not owned by root" test "$(stat -c %U "$R/.pgdata")" != root
run "${L[@]}" -- "$R/scripts/pg-ensure.sh"
check "local: second run (already running) same URL" printed "$URL"
run "${L[@]}" -- "$R/scripts/pg-ensure.sh" --status
check "status running: rc 0" test "$RC" -eq 0
run "${L[@]}" -- "$R/scripts/pg-ensure.sh" --stop
check "stop: rc 0" test "$RC" -eq 0
check "stop: server gone" test "$(answers "$URL" && echo up)" = ""
run "${L[@]}" -- "$R/scripts/pg-ensure.sh" --stop
check "stop again: no-op" test "$RC" -eq 0
if "$ISREADY_BIN" -q -h 127.0.0.1 -p 5432; then # busy port -> start fails, log tail shown
  run AUTH_PG_SKIP_DEFAULT=1 AUTH_LOCAL_PG_PORT=5432 -- "$R/scripts/pg-ensure.sh"
  check "busy port: fails and shows server.log" failed_with "server.log"
fi
run "${L[@]}" -- "$R/scripts/pg-ensure.sh"
check "restart existing cluster" printed "$URL"
check "restarted cluster answers" answers "$URL"
run "${L[@]}" -- "$R/scripts/pg-ensure.sh" --stop

# version mismatch is refused with a hint to delete .pgdata
R=$(new_repo repo2)
mkdir -p "$R/.pgdata" && echo 9.6 >"$R/.pgdata/PG_VERSION"
[[ $EUID -eq 0 ]] && chown -R nobody: "$R/.pgdata"
run "${L[@]}" -- "$R/scripts/pg-ensure.sh"
check "version mismatch: clear failure" failed_with "rm -rf $R/.pgdata"

if [[ $EUID -eq 0 ]]; then
  # root: an untraversable parent is reported by name
  mkdir -m 700 "$TMP/locked" && R=$(new_repo locked/repo3)
  run "${L[@]}" -- "$R/scripts/pg-ensure.sh"
  check "untraversable dir: names $TMP/locked" failed_with "cannot access directory $TMP/locked."
  # non-root user (nobody) runs its own cluster directly
  R=$(new_repo repo4) && chown -R nobody: "$R"
  RC=0
  OUT=$(cd / && runuser -u nobody -- env AUTH_PG_SKIP_DEFAULT=1 AUTH_LOCAL_PG_PORT=$((PORT + 1)) \
    bash "$R/scripts/pg-ensure.sh" 2>"$TMP/err") || RC=$?
  ERR=$(<"$TMP/err")
  check "non-root user: local cluster works" answers "$OUT"
  runuser -u nobody -- bash "$R/scripts/pg-ensure.sh" --stop >/dev/null 2>&1 || true
fi

echo "passed $PASS, failed $FAIL"
[[ $FAIL -eq 0 ]]
