package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"auth-service/migrations"
)

// Migrator applies the embedded migrations. A PostgreSQL session lock
// keeps two instances starting at once from migrating together.
type Migrator struct {
	provider *goose.Provider
	db       *sqlx.DB
}

// NewMigrator returns a migrator over db.
func NewMigrator(db *sqlx.DB, log *slog.Logger) (*Migrator, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS,
		goose.WithSessionLocker(locker),
		goose.WithSlog(log),
	)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{provider: p, db: db}, nil
}

// SchemaEmpty reports whether the database has no tables of ours yet: no
// users table and no migration record.
func (m *Migrator) SchemaEmpty(ctx context.Context) (bool, error) {
	var n int
	err := m.db.GetContext(ctx, &n, `
		SELECT count(*) FROM information_schema.tables
		WHERE table_schema = current_schema()
		  AND table_name IN ('users', 'goose_db_version')`)
	if err != nil {
		return false, fmt.Errorf("inspect schema: %w", err)
	}
	return n == 0, nil
}

// Up applies every pending migration and reports what it applied to w.
func (m *Migrator) Up(ctx context.Context, w io.Writer) error {
	res, err := m.provider.Up(ctx)
	for _, r := range res {
		fmt.Fprintf(w, "applied %s (%s)\n", r.Source.Path, r.Duration)
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	if len(res) == 0 {
		fmt.Fprintln(w, "schema is up to date")
	}
	return nil
}

// Down rolls back the newest applied migration.
func (m *Migrator) Down(ctx context.Context, w io.Writer) error {
	r, err := m.provider.Down(ctx)
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	fmt.Fprintf(w, "rolled back %s (%s)\n", r.Source.Path, r.Duration)
	return nil
}

// Status writes one line per migration: applied or pending.
func (m *Migrator) Status(ctx context.Context, w io.Writer) error {
	list, err := m.provider.Status(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	for _, s := range list {
		when := "pending"
		if s.State == goose.StateApplied {
			when = "applied " + s.AppliedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(w, "%-40s %s\n", s.Source.Path, when)
	}
	return nil
}

// Reset drops every object of the current schema and re-creates it empty,
// for FORCE_RESET. The caller has taken a safety dump first.
func (m *Migrator) Reset(ctx context.Context) error {
	var schema string
	if err := m.db.GetContext(ctx, &schema, `SELECT current_schema()`); err != nil {
		return fmt.Errorf("find schema: %w", err)
	}
	q := pq.QuoteIdentifier(schema)
	if _, err := m.db.ExecContext(ctx, "DROP SCHEMA "+q+" CASCADE; CREATE SCHEMA "+q); err != nil {
		return fmt.Errorf("reset schema %s: %w", schema, err)
	}
	return nil
}
