# auth-service: `make run` serves on a local PostgreSQL, `make test` runs
# every check and test. Both find or start PostgreSQL with
# scripts/pg-ensure.sh (DATABASE_URL, else 127.0.0.1:5432, else a cluster in
# .pgdata/).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go
BIN := bin/auth-service
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: help run build test unit integration check fmt-check vet lint \
        generate generate-check imports-check scripts-test bench backup-drill pg-stop pg-status clean go-check

help:
	@echo "make run    - serve on :5000 against a local PostgreSQL (started if needed)"
	@echo "make test   - formatting, vet, lint, wire and import checks, then every test"
	@echo "make unit   - the isolated tests only (no database)"
	@echo "make bench  - Go benchmarks"
	@echo "make backup-drill - the backup scheduler through a database outage (~7 min)"
	@echo "make pg-stop / pg-status - the project-local PostgreSQL in .pgdata/"

go-check:
	@command -v $(GO) >/dev/null || { echo "Go is missing: install Go 1.26 or newer (https://go.dev/doc/install)" >&2; exit 1; }

build: go-check
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/auth-service

run: build
	@bash scripts/run.sh $(BIN)

test: check integration scripts-test

check: go-check fmt-check vet lint generate-check imports-check

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.pgdata/*')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted (run gofmt -w):" >&2; echo "$$out" >&2; exit 1; fi
	@echo "fmt: ok"

vet:
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

lint:
	$(GO) tool staticcheck ./...
	$(GO) tool staticcheck -tags integration ./...

generate:
	$(GO) tool wire gen .

# wire diff exits non-zero when wire_gen.go is not what wire.go generates.
generate-check:
	@$(GO) tool wire diff . >/tmp/auth-service-wire.diff 2>&1 || { \
	  echo "wire_gen.go is stale; run: make generate" >&2; cat /tmp/auth-service-wire.diff >&2; exit 1; }
	@echo "wire: ok"

imports-check:
	$(GO) test -count=1 -run TestImportDirection ./test/

unit: go-check
	$(GO) test -race -count=1 ./...

integration: go-check
	@url=$$(bash scripts/pg-ensure.sh); \
	AUTH_TEST_DATABASE_URL="$$url" $(GO) test -race -count=1 -tags integration -timeout 20m ./...

# scripts/pg-ensure.sh itself, for real: a throw-away local cluster, status, stop.
scripts-test:
	bash scripts/pg-ensure_test.sh

# About 7 minutes: a real scheduler against a throwaway cluster, stopped
# and restarted (scripts/backup-drill.sh). Not part of make test.
backup-drill: go-check
	bash scripts/backup-drill.sh

bench: go-check
	$(GO) test -run '^$$' -bench . -benchmem ./...

pg-stop:
	@bash scripts/pg-ensure.sh --stop

# Exit 3 from --status only says the local cluster is not running.
pg-status:
	@bash scripts/pg-ensure.sh --status || [ $$? -eq 3 ]

clean:
	rm -rf bin
