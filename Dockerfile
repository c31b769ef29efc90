# syntax=docker/dockerfile:1
# Build: a static binary, with the module and build caches mounted.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/auth-service ./cmd/auth-service

# Run: Debian bookworm ships PostgreSQL 15 client tools, the major version
# of the compose database, for the backup commands.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin authsvc \
 && mkdir -p /app/backups \
 && chown -R authsvc /app \
 && chmod 0700 /app/backups
COPY --from=build /out/auth-service /usr/local/bin/auth-service
USER authsvc
WORKDIR /app
ENV HTTP_ADDR=:5000 BACKUP_DIR=/app/backups
EXPOSE 5000
# TODO(#5): HEALTHCHECK through the binary itself.
ENTRYPOINT ["auth-service"]
CMD ["serve"]
