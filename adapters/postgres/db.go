// Package postgres stores users, roles and sessions in PostgreSQL through
// sqlx and lib/pq, and applies the schema migrations.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"auth-service/ports"
)

// ConnectOptions says how long Connect keeps trying a database that is
// still starting.
type ConnectOptions struct {
	URL      string
	Attempts int
	Delay    time.Duration
}

// Connect opens a pool and pings it, retrying while the server is not yet
// answering, up to opts.Attempts times. The error never carries the URL,
// which may hold a password.
func Connect(ctx context.Context, opts ConnectOptions, log *slog.Logger) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", opts.URL)
	if err != nil {
		return nil, fmt.Errorf("open database: %s", redactDSNError(err))
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)

	attempts := max(opts.Attempts, 1)
	delay := opts.Delay
	for i := 1; ; i++ {
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = db.PingContext(pingCtx)
		cancel()
		if err == nil {
			return db, nil
		}
		if i >= attempts || ctx.Err() != nil || permanent(err) {
			_ = db.Close()
			return nil, fmt.Errorf("database not reachable after %d attempts: %s", i, redactDSNError(err))
		}
		log.Warn("database not reachable yet, retrying",
			"attempt", i, "of", attempts, "error", redactDSNError(err))
		select {
		case <-ctx.Done():
			_ = db.Close()
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// permanent reports whether a connection error will not go away by
// waiting: the server answered and refused (unknown database, bad
// password), rather than not answering or still starting up.
func permanent(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code != "57P03" // cannot_connect_now
}

// redactDSNError keeps the message of a connection error but never a
// password: lib/pq does not echo the URL, and parse errors are reduced to
// their kind.
func redactDSNError(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Message
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

type txKey struct{}

// DB is the shared handle the stores use; it also runs transactions.
type DB struct {
	db *sqlx.DB
}

var (
	_ ports.Transactor = (*DB)(nil)
	_ ports.Pinger     = (*DB)(nil)
)

// NewDB wraps a pool.
func NewDB(db *sqlx.DB) *DB { return &DB{db: db} }

// InTx runs fn in a transaction carried by its context; stores called with
// that context take part in it. An error from fn, or a panic, rolls back.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*sqlx.Tx); ok {
		return fn(ctx)
	}
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		return err
	}
	return tx.Commit()
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// q returns the transaction in ctx, or the pool.
func (d *DB) q(ctx context.Context) sqlx.ExtContext {
	if tx, ok := ctx.Value(txKey{}).(*sqlx.Tx); ok {
		return tx
	}
	return d.db
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

// isForeignKeyViolation reports whether err is PostgreSQL's
// foreign_key_violation: a row named something another request removed.
func isForeignKeyViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23503"
}

// notFound turns sql.ErrNoRows into domain.ErrNotFound.
func notFound(err error, what error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return what
	}
	return err
}

// sqlxGet runs a single-row query on the transaction in ctx or the pool.
func sqlxGet(ctx context.Context, d *DB, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, d.q(ctx), dest, query, args...)
}

// sqlxSelect runs a query on the transaction in ctx or the pool.
func sqlxSelect(ctx context.Context, d *DB, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, d.q(ctx), dest, query, args...)
}

// validID reports whether s is a UUID in the canonical 36-character form,
// the only one PostgreSQL is asked to parse.
func validID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}
