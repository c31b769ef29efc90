// Package testdb gives an integration test a PostgreSQL database of its
// own, with a unique name, dropped when the test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/lib/pq" // the postgres driver
)

// EnvVar names the variable holding the URL of a server where tests may
// create databases; `make test` sets it.
const EnvVar = "AUTH_TEST_DATABASE_URL"

// AdminURL returns the server URL from EnvVar, failing the test (never
// skipping it) when it is not set.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		t.Fatalf("%s is not set: integration tests need PostgreSQL; run them with "+
			"`make test`, which finds or starts one", EnvVar)
	}
	return u
}

// New creates an empty database named auth_test_<random> and returns its
// URL; the database is dropped when the test and its subtests finish.
func New(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatalf("open %s: %v", EnvVar, err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("PostgreSQL at %s does not answer: %v", EnvVar, err)
	}

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "auth_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { drop(t, admin, name) })

	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvVar, err)
	}
	u.Path = "/" + name
	return u.String()
}

func drop(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Errorf("drop %s: %v", name, err)
		return
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("drop %s: %v", name, err)
	}
}
