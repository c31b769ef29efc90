#!/usr/bin/env bash
# pg-ensure.sh - make sure a PostgreSQL server is reachable for `make run` / `make test`.
#
# Usage: bash scripts/pg-ensure.sh           print ONE line on stdout: a libpq URL (superuser or
#                                            createdb role, maintenance db "postgres"); logs -> stderr
#        bash scripts/pg-ensure.sh --status  which server would be used, and the state of the
#                                            project-local cluster (exit 0 running, 3 not)
#        bash scripts/pg-ensure.sh --stop    stop the project-local cluster (no-op if not running)
#        bash scripts/pg-ensure.sh --database NAME
#                                            as the first form, but create database NAME when missing
#                                            and print its URL (DATABASE_URL, when set, is printed as is)
# Order: $DATABASE_URL (must answer) > 127.0.0.1:5432 as postgres/current user (trust) >
#        project-local cluster in <repo>/.pgdata on 127.0.0.1:$AUTH_LOCAL_PG_PORT (default 55432).
# Env:   DATABASE_URL, AUTH_LOCAL_PG_PORT, AUTH_PG_SKIP_DEFAULT=1 (testing: skip the 5432 probe).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PGDATA_DIR="$REPO/.pgdata"
LOCAL_PORT=${AUTH_LOCAL_PG_PORT:-55432}
BINDIR=""   # directory holding initdb/pg_ctl/postgres
RUN_USER="" # when root: unprivileged account that owns and runs the local cluster
PSQL=""

log() { printf 'pg-ensure: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Hide passwords: scheme://user:secret@ -> scheme://user:***@ and password=secret -> password=***
redact() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#; s#(password=)[^ &]*#\1***#g' <<<"$1"; }

# Extra bin dirs after PATH: pg_config --bindir, then Debian's /usr/lib/postgresql/<major>/bin, newest first.
extra_bin_dirs() {
  if command -v pg_config >/dev/null 2>&1; then pg_config --bindir 2>/dev/null || true; fi
  printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -Vr
}
find_tool() { # find_tool NAME -> prints its path, or returns 1
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
can_apt() { [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; }
apt_install() {
  log "installing $* with apt-get (running as root) ..."
  apt-get update >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2 || die "apt-get install -y $* failed"
}
major_of() { "$1" --version | sed -nE 's/^[^0-9]*([0-9]+).*/\1/p'; }

ensure_client() {
  PSQL=$(find_tool psql) && return 0
  if can_apt; then apt_install postgresql-client; PSQL=$(find_tool psql) && return 0; fi
  die "psql (PostgreSQL client) not found. Install it with: sudo apt-get install postgresql-client"
}
ensure_server_bindir() {
  BINDIR=$(find_server_bindir) && return 0
  if can_apt; then apt_install postgresql; BINDIR=$(find_server_bindir) && return 0; fi
  die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found. Install them with:" \
    "sudo apt-get install postgresql - or set DATABASE_URL to a reachable server."
}

# probe URL: prints t/f (role may create databases?); fails with psql's error on stderr.
# -w never prompts for a password; stdin is closed for the same reason.
probe() {
  PGCONNECT_TIMEOUT=5 "$PSQL" -X -w -Atq -d "$1" \
    -c 'select rolsuper or rolcreatedb from pg_roles where rolname = current_user' </dev/null
}
default_answers() { # is anything listening on 127.0.0.1:5432?
  local isready
  if isready=$(find_tool pg_isready); then "$isready" -q -h 127.0.0.1 -p 5432 -t 3; return; fi
  timeout 3 bash -c ': </dev/tcp/127.0.0.1/5432' 2>/dev/null
}

# ---- project-local cluster ------------------------------------------------------------------
pick_run_user() { # initdb/postgres refuse to run as root: use .pgdata's owner, postgres or nobody
  local owner=""
  if [[ $EUID -ne 0 ]]; then
    if [[ -d $PGDATA_DIR && ! -O $PGDATA_DIR ]]; then
      die "$PGDATA_DIR belongs to another user; run as that user (or root) or delete it."
    fi
    return 0
  fi
  [[ -d $PGDATA_DIR ]] && owner=$(stat -c %U "$PGDATA_DIR")
  if [[ -n $owner && $owner != root && $owner != UNKNOWN ]]; then RUN_USER=$owner
  elif id postgres >/dev/null 2>&1; then RUN_USER=postgres
  else RUN_USER=nobody; fi
}
as_user() { # run a command as RUN_USER (directly when not root), from / so the cwd never matters
  if [[ -z $RUN_USER ]]; then (cd / && "$@")
  elif command -v runuser >/dev/null 2>&1; then (cd / && runuser -u "$RUN_USER" -- "$@")
  else (cd / && su -s /bin/sh "$RUN_USER" -c "$(printf '%q ' "$@")"); fi
}
check_access() { # RUN_USER must be able to traverse every directory down to the repo
  local d="" part parts
  as_user test -x "$REPO" && return 0
  IFS=/ read -ra parts <<<"${REPO#/}"
  for part in "${parts[@]}"; do d+="/$part"; as_user test -x "$d" || break; done
  die "user '$RUN_USER' (PostgreSQL refuses to run as root) cannot access directory $d." \
    "Make it traversable (chmod o+x $d), clone the repo elsewhere, or set DATABASE_URL to a reachable server."
}
local_running() { as_user "$BINDIR/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1; }
local_port() { sed -n 4p "$PGDATA_DIR/postmaster.pid"; } # line 4 of postmaster.pid = port

init_local() {
  if [[ -d $PGDATA_DIR && -n $(ls -A "$PGDATA_DIR") ]]; then
    die "$PGDATA_DIR exists but holds no cluster (failed earlier init?). Delete it: rm -rf $PGDATA_DIR"
  fi
  mkdir -p "$PGDATA_DIR" && chmod 700 "$PGDATA_DIR"
  if [[ -n $RUN_USER ]]; then chown "$RUN_USER:" "$PGDATA_DIR"; fi
  local loc=(--locale=C.UTF-8)
  locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' || loc=(--no-locale)
  log "initializing project-local cluster in $PGDATA_DIR (as ${RUN_USER:-$(id -un)}) ..."
  as_user "$BINDIR/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 "${loc[@]}" >&2 ||
    die "initdb failed (see output above)"
  # Only reachable from this machine; socket dir "." = the data dir (relative keeps the path short).
  printf '\n# added by scripts/pg-ensure.sh\nlisten_addresses = %s\nunix_socket_directories = %s\n' \
    "'127.0.0.1'" "'.'" >>"$PGDATA_DIR/postgresql.conf"
  printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' >"$PGDATA_DIR/pg_hba.conf"
  printf '*\n' >"$PGDATA_DIR/.gitignore" # keep the cluster out of git even without a root entry
}

start_local() {
  [[ $LOCAL_PORT =~ ^[0-9]+$ ]] || die "AUTH_LOCAL_PG_PORT must be a port number, got '$LOCAL_PORT'"
  ensure_server_bindir
  pick_run_user
  if [[ -n $RUN_USER ]]; then check_access; fi
  [[ -f $PGDATA_DIR/PG_VERSION ]] || init_local
  local have want url
  have=$(<"$PGDATA_DIR/PG_VERSION") want=$(major_of "$BINDIR/pg_ctl")
  [[ $have == "$want" ]] || die "$PGDATA_DIR holds a PostgreSQL $have cluster but the server binaries" \
    "in $BINDIR are version $want. Delete it (data is lost): make pg-stop; rm -rf $PGDATA_DIR"
  if ! local_running; then
    log "starting project-local PostgreSQL on 127.0.0.1:$LOCAL_PORT ($BINDIR) ..."
    if ! as_user "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -w -t 60 -l "$PGDATA_DIR/server.log" \
      -o "-p $LOCAL_PORT" start >&2; then
      log "PostgreSQL did not start; last lines of $PGDATA_DIR/server.log:"
      tail -n 20 "$PGDATA_DIR/server.log" >&2 || true
      exit 1
    fi
  fi
  url="postgres://postgres@127.0.0.1:$(local_port)/postgres?sslmode=disable"
  probe "$url" >/dev/null || die "local cluster is running but $url does not answer (see $PGDATA_DIR/server.log)"
  log "using project-local PostgreSQL $url (keeps running; stop it with: make pg-stop)"
  emit "$url"
}

stop_local() {
  [[ -f $PGDATA_DIR/PG_VERSION ]] || { log "no local cluster in $PGDATA_DIR; nothing to stop"; return 0; }
  ensure_server_bindir
  pick_run_user
  if local_running; then
    as_user "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >&2
  else
    log "local cluster in $PGDATA_DIR is not running"
  fi
}
status_local() {
  if [[ -n ${DATABASE_URL:-} ]]; then
    echo "in use: DATABASE_URL ($(redact "$DATABASE_URL"))"
  elif [[ ${AUTH_PG_SKIP_DEFAULT:-} != 1 ]] && default_answers; then
    echo "in use: the server on 127.0.0.1:5432 (when it lets postgres or $(id -un) in without a password)"
  else
    echo "in use: the project-local cluster (started by make run or make test when needed)"
  fi
  [[ -f $PGDATA_DIR/PG_VERSION ]] || { echo "local cluster: not initialized ($PGDATA_DIR)"; return 3; }
  ensure_server_bindir
  pick_run_user
  if local_running; then echo "local cluster: running on 127.0.0.1:$(local_port) ($PGDATA_DIR)"
  else echo "local cluster: stopped ($PGDATA_DIR)"; return 3; fi
}

DBNAME=""
# emit URL: print the admin URL, or with --database the URL of that database, created if missing.
emit() {
  if [[ -z $DBNAME ]]; then echo "$1"; return; fi
  [[ $DBNAME =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "database name '$DBNAME' must match [a-z_][a-z0-9_]*"
  if [[ $("$PSQL" -X -w -At -d "$1" -c "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'" </dev/null) != 1 ]]; then
    "$PSQL" -X -w -q -d "$1" -c "CREATE DATABASE $DBNAME" </dev/null >&2 || die "could not create database $DBNAME"
    log "created database $DBNAME"
  fi
  echo "${1/\/postgres\?//$DBNAME?}"
}

main() {
  case ${1:-} in
    --stop) stop_local; return ;;
    --status) status_local; return ;;
    -h | --help) sed -n '2,14p' "${BASH_SOURCE[0]}" >&2; return 0 ;;
    --database) DBNAME=${2:?--database needs a name} ;;
    "") ;;
    *) die "unknown argument '$1' (expected --stop, --status, --database NAME or nothing)" ;;
  esac
  ensure_client
  local out url user
  if [[ -n ${DATABASE_URL:-} ]]; then # 1. explicit server
    out=$(probe "$DATABASE_URL" 2>&1) ||
      die "DATABASE_URL ($(redact "$DATABASE_URL")) does not answer: $(redact "$out")"
    [[ $out == t ]] || log "warning: DATABASE_URL's role is neither superuser nor createdb; creating databases may fail"
    echo "$DATABASE_URL"
    return
  fi
  if [[ ${AUTH_PG_SKIP_DEFAULT:-} != 1 ]] && default_answers; then # 2. server on 5432
    for user in postgres "$(id -un)"; do
      url="postgres://$user@127.0.0.1:5432/postgres?sslmode=disable"
      if [[ $(probe "$url" 2>/dev/null) == t ]]; then
        log "using PostgreSQL on 127.0.0.1:5432 as $user"
        emit "$url"
        return
      fi
    done
    log "127.0.0.1:5432 answers but not without password as postgres/$(id -un); using a project-local cluster"
  fi
  start_local # 3. project-local cluster
}

# Sourced (by scripts/backup-drill.sh), it only defines its helpers.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
