#!/usr/bin/env bash
# backup-drill.sh - proves the periodic-backup acceptance scenario on a real machine:
#   "A local run of `auth-service backup schedule` with BACKUP_SCHEDULE='* * * * *' makes a
#    verified dump each minute, keeps 3, logs each run, and when PostgreSQL is stopped for two
#    minutes and started again, logs the failures, keeps the old dumps, reports not fresh in
#    `backup status`, and recovers on its own."
#
# Usage: bash scripts/backup-drill.sh          (takes about 9-10 minutes; every wait is bounded)
# Env:   DRILL_PG_PORT   port of the throw-away cluster on 127.0.0.1 (default 55499, never 5432)
#        DRILL_KEEP=1    keep the temp dir (logs, dumps, cluster) even when every check passes
#
# It builds the binary, creates its OWN PostgreSQL cluster in a temp dir (initdb/postgres run as
# an unprivileged user when this runs as root), never touches the system server on 5432, prints
# one PASS/FAIL line per check and exits non-zero when any check failed. On failure the temp dir
# with every log is kept and its path printed.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PORT=${DRILL_PG_PORT:-55499}
SCHEDULE='* * * * *'
KEEP=3
PERIODIC_RE='^auth_db_backup_[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{4}(_[0-9]+)?\.dump$'

WORK="" BK="" PGDATA="" BIN="" DB_URL="" SCHED_LOG="" SCHED_PID=""
BINDIR="" PSQL="" RUN_USER=""
PASSES=0 FAILS=0
RESULTS=()

say() { printf '%s drill: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
indent() { sed 's/^/    | /' >&2; }
die() { say "ERROR: $*"; check "setup" FAIL "$*"; exit 1; }

# check NAME PASS|FAIL|SKIP DETAIL - record and print one result line.
check() {
  local line
  line=$(printf '[%s] %s - %s' "$2" "$1" "$3")
  RESULTS+=("$line")
  case $2 in PASS) PASSES=$((PASSES + 1)) ;; FAIL) FAILS=$((FAILS + 1)) ;; esac # INFO counts neither
  say "$line"
}

# ---- PostgreSQL binaries and the unprivileged user (the approach of
# scripts/pg-ensure.sh, kept apart so the drill stands alone)
extra_bin_dirs() {
  if command -v pg_config >/dev/null 2>&1; then pg_config --bindir 2>/dev/null || true; fi
  printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -Vr
}
find_tool() { # find_tool NAME -> its path, or return 1
  local d
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return 0; fi
  while read -r d; do
    if [[ -x $d/$1 ]]; then echo "$d/$1"; return 0; fi
  done < <(extra_bin_dirs)
  return 1
}
find_server_bindir() { # first dir holding initdb, pg_ctl and postgres together
  local d dirs=()
  if command -v initdb >/dev/null 2>&1; then dirs+=("$(dirname "$(command -v initdb)")"); fi
  mapfile -t -O "${#dirs[@]}" dirs < <(extra_bin_dirs)
  for d in "${dirs[@]}"; do
    if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then echo "$d"; return 0; fi
  done
  return 1
}
drill_run_user() { # initdb/postgres refuse to run as root
  if [[ $EUID -ne 0 ]]; then RUN_USER=""
  elif id postgres >/dev/null 2>&1; then RUN_USER=postgres
  else RUN_USER=nobody; fi
}
as_user() { # run a command as RUN_USER (directly when not root), from /
  if [[ -z $RUN_USER ]]; then (cd / && "$@")
  elif command -v runuser >/dev/null 2>&1; then (cd / && runuser -u "$RUN_USER" -- "$@")
  else (cd / && su -s /bin/sh "$RUN_USER" -c "$(printf '%q ' "$@")"); fi
}
port_in_use() { timeout 3 bash -c ": </dev/tcp/127.0.0.1/$1" 2>/dev/null; }
pg_running() { as_user "$BINDIR/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; }
pg_start() {
  as_user "$BINDIR/pg_ctl" -D "$PGDATA" -w -t 60 -l "$PGDATA/server.log" -o "-p $PORT" start >&2
}
pg_stop() { as_user "$BINDIR/pg_ctl" -D "$PGDATA" -m "${1:-fast}" -w -t 60 stop >&2; }

# ---- the service ---------------------------------------------------------------------------
# SVC_ENV: a clean environment with only the drill's configuration (HOME in the temp dir, so no
# ~/.pgpass or .env of the caller leaks in). Set once DB_URL is known.
SVC_ENV=()
set_svc_env() {
  SVC_ENV=(env -i PATH="$PATH" HOME="$WORK" LANG=C.UTF-8
    DATABASE_URL="$DB_URL" BACKUP_DIR="$BK" BACKUP_SCHEDULE="$SCHEDULE" BACKUP_KEEP="$KEEP"
    BACKUP_RETRIES=2 BACKUP_RETRY_DELAY=5s BACKUP_TZ=UTC)
}
# svc ARGS... - run the built binary (bounded to 120 s) from the temp dir
svc() { (cd "$WORK" && timeout 120 "${SVC_ENV[@]}" "$BIN" --env-file /nonexistent "$@"); }
sched_alive() { [[ -n $SCHED_PID ]] && kill -0 "$SCHED_PID" 2>/dev/null; }

# ---- backup folder helpers ------------------------------------------------------------------
list_dumps() { # periodic dumps, one name a line, sorted
  find "$BK" -maxdepth 1 -type f -name 'auth_db_backup_*.dump' -printf '%f\n' 2>/dev/null |
    grep -E "$PERIODIC_RE" | sort
}
count_dumps() { list_dumps | grep -c . ; }
temp_files() {
  find "$BK" -maxdepth 1 \( -name '.auth_db_backup_tmp_*' -o -name '*.partial' -o -name '*.tmp' \) \
    -printf '%f\n' 2>/dev/null
}
cronlog() { cat "$BK/cron.log.1" "$BK/cron.log" 2>/dev/null; }
ok_periodic_count() { cronlog | grep -cE ' OK auth_db_backup_[0-9]'; }
name_epoch() { # auth_db_backup_HH-MM_DD-MM-YYYY[_n].dump -> epoch seconds (UTC)
  local n=${1#auth_db_backup_}
  date -u -d "${n:12:4}-${n:9:2}-${n:6:2} ${n:0:2}:${n:3:2}:00" +%s
}
newest_dump() { # newest periodic dump by the time in its name
  local f best="" best_t=0 t
  while read -r f; do
    [[ -n $f ]] || continue
    t=$(name_epoch "$f") || continue
    if ((t >= best_t)); then best_t=$t best=$f; fi
  done < <(list_dumps)
  echo "$best"
}
verify_dumps() { # every periodic dump has a sidecar that sha256sum -c accepts; prints problems
  local f bad=0
  while read -r f; do
    [[ -n $f ]] || continue
    if [[ ! -f $BK/$f.sha256 ]]; then echo "$f: no .sha256 sidecar"; bad=1; continue; fi
    if ! (cd "$BK" && sha256sum -c --status "$f.sha256") 2>/dev/null; then
      echo "$f: sha256sum -c rejects $f.sha256"; bad=1
    fi
  done < <(list_dumps)
  return "$bad"
}
snapshot() { # sha256 of every periodic dump and sidecar
  local f
  while read -r f; do
    [[ -n $f ]] || continue
    (cd "$BK" && sha256sum "$f" "$f.sha256" 2>&1)
  done < <(list_dumps)
}
# wait_until EPOCH - sleep until that time (returns at once when it is past)
wait_until() { local d=$(($1 - $(date +%s))); if ((d > 0)); then sleep "$d"; fi; }
# run_status LABEL - run `backup status`, set ST_OUT and ST_RC, print them
ST_OUT="" ST_RC=0
run_status() {
  local t0=$SECONDS
  ST_OUT=$(svc backup status 2>&1)
  ST_RC=$?
  say "backup status ($1): exit $ST_RC after $((SECONDS - t0))s, output:"
  indent <<<"$ST_OUT"
}

# ---- teardown -------------------------------------------------------------------------------
stop_scheduler() { # SIGTERM, then wait up to 10 s; records the check
  local i rc
  if ! sched_alive; then
    if [[ -n $SCHED_PID ]]; then
      wait "$SCHED_PID" 2>/dev/null; rc=$?
      check "scheduler stops on SIGTERM" FAIL "it was no longer running before SIGTERM (exit $rc)"
      SCHED_PID=""
    fi
    return
  fi
  kill -TERM "$SCHED_PID"
  for ((i = 0; i < 100; i++)); do sched_alive || break; sleep 0.1; done
  if sched_alive; then
    kill -KILL "$SCHED_PID" 2>/dev/null
    wait "$SCHED_PID" 2>/dev/null
    check "scheduler stops on SIGTERM" FAIL "still running 10 s after SIGTERM; killed with SIGKILL"
  else
    wait "$SCHED_PID" 2>/dev/null; rc=$?
    check "scheduler stops on SIGTERM" "$([[ $rc -eq 0 ]] && echo PASS || echo FAIL)" \
      "exited within $((i / 10)).$((i % 10)) s with status $rc"
  fi
  SCHED_PID=""
}
CLEANED=0
cleanup() {
  ((CLEANED)) && return
  CLEANED=1
  if sched_alive; then stop_scheduler; fi
  if [[ -n $PGDATA && -f $PGDATA/PG_VERSION ]] && pg_running; then
    pg_stop fast || pg_stop immediate || say "could not stop the cluster in $PGDATA"
  fi
  say "summary:"
  local r
  for r in "${RESULTS[@]}"; do printf '  %s\n' "$r"; done
  printf 'drill: %d passed, %d failed\n' "$PASSES" "$FAILS"
  if [[ -n $WORK && -d $WORK ]]; then
    if ((FAILS > 0)) || [[ ${DRILL_KEEP:-} == 1 ]]; then
      printf 'drill: logs kept in %s (scheduler log %s, cron log %s, server log %s)\n' \
        "$WORK" "$SCHED_LOG" "$BK/cron.log" "$PGDATA/server.log"
    else
      rm -rf "$WORK"
    fi
  fi
  if ((FAILS > 0)); then echo "drill: FAIL"; else echo "drill: PASS"; fi
}
trap cleanup EXIT
trap 'say "interrupted"; check "drill completed" FAIL "interrupted by a signal"; exit 130' INT TERM HUP

# ======================= 0. preparation ======================================================
[[ $PORT =~ ^[0-9]+$ && $PORT -ne 5432 && $PORT -gt 1024 && $PORT -lt 65536 ]] ||
  die "DRILL_PG_PORT must be a free port above 1024 other than 5432, got '$PORT'"
command -v go >/dev/null 2>&1 || die "go is not installed"
BINDIR=$(find_server_bindir) || die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
PSQL=$(find_tool psql) || die "psql not found"
find_tool pg_dump >/dev/null || die "pg_dump not found"
drill_run_user
port_in_use "$PORT" && die "something already listens on 127.0.0.1:$PORT; set DRILL_PG_PORT"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/auth-backup-drill.XXXXXX") || die "mktemp failed"
chmod 711 "$WORK" # the cluster's user must traverse it
BK=$WORK/backups PGDATA=$WORK/pgdata BIN=$WORK/auth-service SCHED_LOG=$WORK/schedule.log
say "work dir $WORK; server binaries $BINDIR; cluster user ${RUN_USER:-$(id -un)}; port $PORT"

# ======================= 1. build ============================================================
say "building the binary ..."
if (cd "$REPO" && go build -o "$BIN" ./cmd/auth-service) >"$WORK/build.log" 2>&1; then
  check "build" PASS "go build -o $BIN ./cmd/auth-service"
else
  indent <"$WORK/build.log"
  check "build" FAIL "go build failed (see $WORK/build.log)"
  exit 1
fi

# ======================= 2. own throw-away cluster ===========================================
mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
if [[ -n $RUN_USER ]]; then chown "$RUN_USER:" "$PGDATA"; fi
loc=(--locale=C.UTF-8)
locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' || loc=(--no-locale)
if ! as_user "$BINDIR/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 "${loc[@]}" \
  >"$WORK/initdb.log" 2>&1; then
  indent <"$WORK/initdb.log"
  check "cluster" FAIL "initdb failed"
  exit 1
fi
printf '\n# backup-drill\nlisten_addresses = %s\nunix_socket_directories = %s\nport = %s\n' \
  "'127.0.0.1'" "'.'" "$PORT" >>"$PGDATA/postgresql.conf"
printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' >"$PGDATA/pg_hba.conf"
if [[ -n $RUN_USER ]]; then chown "$RUN_USER:" "$PGDATA/postgresql.conf" "$PGDATA/pg_hba.conf"; fi
if ! pg_start; then
  tail -n 20 "$PGDATA/server.log" >&2
  check "cluster" FAIL "pg_ctl start failed"
  exit 1
fi
ADMIN_URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
DB_URL="postgres://postgres@127.0.0.1:$PORT/auth_db?sslmode=disable"
set_svc_env
if ! "$PSQL" -X -w -q -d "$ADMIN_URL" -c 'CREATE DATABASE auth_db' </dev/null >&2; then
  check "cluster" FAIL "could not create database auth_db"
  exit 1
fi
check "cluster" PASS "own cluster $PGDATA on 127.0.0.1:$PORT, database auth_db"

# ======================= 3. migrate, start the scheduler =====================================
if out=$(svc migrate up 2>&1); then
  check "migrate up" PASS "ok"
else
  indent <<<"$out"
  check "migrate up" FAIL "exit non-zero"
  exit 1
fi
(cd "$WORK" && exec "${SVC_ENV[@]}" "$BIN" --env-file /nonexistent backup schedule) \
  >"$SCHED_LOG" 2>&1 &
SCHED_PID=$!
sleep 3
if sched_alive; then
  check "scheduler starts" PASS "pid $SCHED_PID, log $SCHED_LOG"
else
  indent <"$SCHED_LOG"
  check "scheduler starts" FAIL "exited at once"
  exit 1
fi

# ======================= 4. four good ticks ==================================================
say "waiting for 4 periodic backups (at most 5.5 minutes) ..."
deadline=$(($(date +%s) + 330))
while (($(ok_periodic_count) < 4)) && (($(date +%s) < deadline)) && sched_alive; do sleep 2; done
sleep 3 # let the 4th run finish its rotation
n_ok=$(ok_periodic_count)
check "4 ticks ran" "$( ((n_ok >= 4)) && echo PASS || echo FAIL)" \
  "$n_ok periodic OK lines in cron.log; scheduler $(sched_alive && echo running || echo 'NOT running')"
if ((n_ok < 4)); then
  say "cron.log:"; cronlog | indent
  say "scheduler log:"; indent <"$SCHED_LOG"
  exit 1
fi
mapfile -t dumps < <(list_dumps)
check "keeps exactly $KEEP" "$( ((${#dumps[@]} == KEEP)) && echo PASS || echo FAIL)" \
  "${#dumps[@]} periodic dumps: ${dumps[*]}"
expected=$(cronlog | sed -nE 's/.* OK (auth_db_backup_[0-9][^ ]*\.dump) .*/\1/p' | tail -n "$KEEP" | sort)
check "kept = newest $KEEP" "$([[ $expected == "$(list_dumps)" ]] && echo PASS || echo FAIL)" \
  "newest OK files in cron.log: $(tr '\n' ' ' <<<"$expected")"
if probs=$(verify_dumps); then
  check "sidecars verify" PASS "sha256sum -c accepts every .sha256"
else
  check "sidecars verify" FAIL "$(tr '\n' ';' <<<"$probs")"
fi
n_start=$(cronlog | grep -c ' START periodic backup')
n_rot=$(cronlog | grep -c ' ROTATED ')
check "cron.log per run" "$( ((n_ok >= 4 && n_start >= 4 && n_rot >= 1)) && echo PASS || echo FAIL)" \
  "START=$n_start OK=$n_ok ROTATED=$n_rot"
run_status "healthy"
check "status healthy" "$( ((ST_RC == 0)) && echo PASS || echo FAIL)" \
  "exit $ST_RC; $(head -n 1 <<<"$ST_OUT")"
if [[ -f $BK/auth_db_backup_inicial.sql ]]; then
  if [[ -f $BK/auth_db_backup_inicial.sql.sha256 ]] &&
    (cd "$BK" && sha256sum -c --status auth_db_backup_inicial.sql.sha256); then
    check "initial dump" PASS "auth_db_backup_inicial.sql exists, sidecar verifies"
  else
    check "initial dump" FAIL "auth_db_backup_inicial.sql exists but its sidecar is missing or wrong"
  fi
else
  check "initial dump" FAIL "auth_db_backup_inicial.sql missing"
fi

# ======================= 5. PostgreSQL down ==================================================
last=$(newest_dump)
T=$(name_epoch "$last")
before=$(snapshot)
cron_lines=$(cronlog | wc -l)
say "stopping PostgreSQL (newest dump $last, tick $(date -u -d "@$T" +%H:%M:%S)) ..."
if pg_stop fast; then
  check "PostgreSQL stopped" PASS "pg_ctl stop -m fast at $(date -u +%H:%M:%S)"
else
  check "PostgreSQL stopped" FAIL "pg_ctl stop failed"
fi
stop_at=$(date +%s)
# Two ticks must fail: T+60 and T+120 (the second one retries for about 5 s).
say "waiting for the failures of the next two ticks ..."
fail_minutes() { cronlog | tail -n +"$((cron_lines + 1))" | grep ' FAILED' | cut -c1-16 | sort -u | grep -c .; }
deadline=$((T + 175))
while (($(fail_minutes) < 2)) && (($(date +%s) < deadline)); do sleep 2; done
sleep 8 # let the second failed tick finish its retries
new_lines=$(cronlog | tail -n +"$((cron_lines + 1))")
n_fm=$(fail_minutes)
check "failures logged" "$( ((n_fm >= 2)) && echo PASS || echo FAIL)" \
  "FAILED lines in $n_fm distinct minutes since the stop"
say "cron.log lines since the stop:"; indent <<<"$new_lines"
check "scheduler survives outage" "$(sched_alive && echo PASS || echo FAIL)" \
  "scheduler $(sched_alive && echo running || echo 'NOT running')"

n_att=$(grep -c ' FAILED attempt ' <<<"$new_lines")
n_st=$(grep -c ' START periodic backup' <<<"$new_lines")
check "retries while down" INFO \
  "BACKUP_RETRIES=2: $n_att 'FAILED attempt' lines and $n_st START lines for $n_fm failed ticks"

# Two ticks after the last dump it is still younger than max age (2 x 60 s + 30 s slack): record it.
run_status "PostgreSQL down, newest dump $(($(date +%s) - T)) s old"
check "status down, within max age" INFO "exit $ST_RC; $(head -n 1 <<<"$ST_OUT")"

# Wait, still down, until the newest dump is older than max age, away from a tick.
away_from_tick() { # away_from_tick EARLIEST -> first time >= EARLIEST at 12..40 s past a tick
  local t=$1
  while (((t - T) % 60 < 12 || (t - T) % 60 > 40)); do t=$((t + 1)); done
  echo "$t"
}
now=$(date +%s)
wait_until "$(away_from_tick $((now > T + 156 ? now : T + 156)))"
run_status "PostgreSQL down, newest dump $(($(date +%s) - T)) s old"
STATUS_DOWN_OUT=$ST_OUT STATUS_DOWN_RC=$ST_RC
if ((ST_RC != 0)) && grep -q 'NOT FRESH' <<<"$ST_OUT"; then
  check "status while down" PASS "exit $ST_RC; $(head -n 1 <<<"$ST_OUT")"
elif ((ST_RC != 0)) && [[ -n $ST_OUT ]]; then
  check "status while down" PASS "exit $ST_RC, no NOT FRESH (needs the database?): $(tail -n 1 <<<"$ST_OUT")"
else
  check "status while down" FAIL "exit $ST_RC; $(tr '\n' ' ' <<<"$ST_OUT")"
fi
after=$(snapshot)
check "old dumps unchanged" "$([[ $before == "$after" && -n $before ]] && echo PASS || echo FAIL)" \
  "sha256 of the $KEEP dumps and sidecars $([[ $before == "$after" ]] && echo identical || echo DIFFER)"
mapfile -t now_dumps < <(list_dumps)
check "no new dump while down" "$([[ $(list_dumps) == "$(printf '%s\n' "${dumps[@]}")" ]] && echo PASS || echo FAIL)" \
  "${#now_dumps[@]} periodic dumps: ${now_dumps[*]}"
tmps=$(temp_files)
check "no temporary files" "$([[ -z $tmps ]] && echo PASS || echo FAIL)" "${tmps:-none}"

# Restart away from a tick, so that one `backup status` with the database up comes before recovery.
wait_until "$(away_from_tick "$(date +%s)")"
say "starting PostgreSQL again ($(($(date +%s) - stop_at)) s after the stop) ..."
if pg_start; then
  check "PostgreSQL restarted" PASS "at $(date -u +%H:%M:%S), down $(($(date +%s) - stop_at)) s"
else
  check "PostgreSQL restarted" FAIL "pg_ctl start failed"
  exit 1
fi
restart_at=$(date +%s)
restart_lines=$(cronlog | wc -l)
run_status "PostgreSQL up, before the next tick"
if grep -q 'NOT FRESH' <<<"$ST_OUT" && ((ST_RC != 0)); then
  check "status NOT FRESH" PASS "exit $ST_RC; $(head -n 1 <<<"$ST_OUT")"
else
  check "status NOT FRESH" FAIL "exit $ST_RC; $(tr '\n' ' ' <<<"$ST_OUT")"
fi

# ======================= 6. recovery =========================================================
say "waiting for the scheduler to recover on its own (at most 150 s) ..."
new_ok() { cronlog | tail -n +"$((restart_lines + 1))" | grep -E ' OK auth_db_backup_[0-9]' | head -n 1; }
deadline=$((restart_at + 150))
while [[ -z $(new_ok) ]] && (($(date +%s) < deadline)); do sleep 2; done
sleep 3
rec=$(new_ok)
since=$(cronlog | tail -n +"$((restart_lines + 1))")
say "cron.log lines since the restart:"; indent <<<"$since"
if [[ -n $rec ]]; then
  check "recovers" PASS "$(cut -c1-120 <<<"$rec")"
else
  check "recovers" FAIL "no new periodic OK line within 150 s of the restart"
fi
n_fail_after=$(grep -c ' FAILED' <<<"$since")
check "first tick after restart" INFO "$n_fail_after FAILED lines after the restart"
mapfile -t final < <(list_dumps)
newest=$(newest_dump)
is_new=1
for d in "${dumps[@]}"; do [[ $d == "$newest" ]] && is_new=0; done
check "new dump after recovery" "$( ((is_new)) && echo PASS || echo FAIL)" "newest is $newest"
check "still keeps $KEEP" "$( ((${#final[@]} == KEEP)) && echo PASS || echo FAIL)" \
  "${#final[@]} periodic dumps: ${final[*]}"
if probs=$(verify_dumps); then
  check "sidecars verify after recovery" PASS "sha256sum -c accepts every .sha256"
else
  check "sidecars verify after recovery" FAIL "$(tr '\n' ';' <<<"$probs")"
fi
run_status "recovered"
check "status fresh again" "$( ((ST_RC == 0)) && echo PASS || echo FAIL)" \
  "exit $ST_RC; $(head -n 1 <<<"$ST_OUT")"
tmps=$(temp_files)
check "no temporary files at the end" "$([[ -z $tmps ]] && echo PASS || echo FAIL)" "${tmps:-none}"

# ======================= 7. teardown =========================================================
say "full cron.log:"; cronlog | indent
say "scheduler log (error/warn lines):"
grep -iE 'error|warn|fail' "$SCHED_LOG" | indent
say "status output while PostgreSQL was down (exit $STATUS_DOWN_RC):"
indent <<<"$STATUS_DOWN_OUT"
stop_scheduler
if pg_stop fast; then
  check "cluster stopped" PASS "pg_ctl stop -m fast"
else
  check "cluster stopped" FAIL "pg_ctl stop failed"
fi
if port_in_use "$PORT"; then check "port released" FAIL "127.0.0.1:$PORT still answers"; fi
((FAILS == 0))
