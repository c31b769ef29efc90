# syntax=docker/dockerfile:1
#
# auth-service image: one static binary that serves the API (`serve`, the
# default) and runs the backup scheduler (`backup schedule`), plus the
# PostgreSQL 15 client tools it drives for dumps and restores.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#                --build-arg COMMIT=$(git rev-parse --short HEAD) -t auth-service:local .
#
# Secrets never enter the image: .dockerignore keeps .env, .secrets/ and
# backups/ out of the build context; configuration comes from the
# environment at run time (see .env.example and docker-compose.yml).

# --- Build: a static binary, with the module and build caches mounted.
# The golang images set GOTOOLCHAIN=local: the image's Go must be at least
# the go line of go.mod (pull again if a cached 1.26 image is older).
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# The same flags as `make build`. CGO_ENABLED=0 gives a static binary that
# needs no libc of the runtime image.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/auth-service ./cmd/auth-service

# --- Run: Debian bookworm ships the PostgreSQL 15 client (pg_dump,
# pg_restore, psql), the major version of the compose database; a pg_dump
# older than the server refuses to dump. tzdata serves BACKUP_TZ and
# ca-certificates TLS to the database and to SMTP.
FROM debian:bookworm-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# uid/gid 10001: a bind-mounted ./backups must be writable by this id
# (see docker-compose.yml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 authsvc \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin authsvc \
 && mkdir -p /app/backups \
 && chown 10001:10001 /app /app/backups \
 && chmod 0755 /app \
 && chmod 0700 /app/backups
# Owned by root: the service user cannot replace its own binary.
COPY --from=build /out/auth-service /usr/local/bin/auth-service
WORKDIR /app
# /app is the user's: in development the service keeps its generated JWT
# key in /app/.secrets and its mail in /app/mail (both relative defaults).
ENV HTTP_ADDR=:5000 \
    BACKUP_DIR=/app/backups
USER 10001:10001
EXPOSE 5000
# The binary checks itself (GET /readyz on HTTP_ADDR's port), so the image
# needs no curl. The start period covers connection retries, migrations and
# seeding on a fresh database. The backup container overrides this check
# with `auth-service backup status` (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["auth-service", "healthcheck"]
ENTRYPOINT ["auth-service"]
CMD ["serve"]
