//go:build integration

package postgres_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/adapters/postgres"
	"auth-service/application"
	"auth-service/domain"
	"auth-service/migrations"
	"auth-service/ports/storetest"
	"auth-service/test/testdb"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// migrated returns a pool on a fresh, migrated and seeded database.
func migrated(t *testing.T) *sqlx.DB {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Connect(ctx, postgres.ConnectOptions{
		URL: testdb.New(t), Attempts: 1, Delay: time.Millisecond,
	}, quiet)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	m, err := postgres.NewMigrator(db, quiet)
	require.NoError(t, err)
	require.NoError(t, m.Up(ctx, io.Discard))
	require.NoError(t, application.NewBootstrap(postgres.NewRoles(postgres.NewDB(db)), application.Config{}, application.Deps{}).Seed(ctx))
	return db
}

func TestPostgresStoresKeepTheContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		d := postgres.NewDB(migrated(t))
		users := postgres.NewUsers(d)
		return storetest.Stores{
			Users:    users,
			Sessions: postgres.NewSessions(d),
			Admin:    users,
			Roles:    postgres.NewRoles(d),
			Resets:   postgres.NewResets(d),
			Audit:    postgres.NewAudit(d),
		}
	})
}

func TestMigrationsGoDownAndUpAgain(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Connect(ctx, postgres.ConnectOptions{URL: testdb.New(t), Attempts: 1}, quiet)
	require.NoError(t, err)
	defer db.Close()
	m, err := postgres.NewMigrator(db, quiet)
	require.NoError(t, err)

	empty, err := m.SchemaEmpty(ctx)
	require.NoError(t, err)
	assert.True(t, empty)

	var out bytes.Buffer
	require.NoError(t, m.Up(ctx, &out))
	assert.Contains(t, out.String(), "00001_init.sql")
	empty, err = m.SchemaEmpty(ctx)
	require.NoError(t, err)
	assert.False(t, empty)

	out.Reset()
	require.NoError(t, m.Status(ctx, &out))
	assert.Contains(t, out.String(), "applied")

	for range migrationCount(t) {
		require.NoError(t, m.Down(ctx, io.Discard))
	}
	var tables int
	require.NoError(t, db.Get(&tables, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name = 'users'`))
	assert.Zero(t, tables)
	require.NoError(t, m.Up(ctx, io.Discard))
}

func TestSeedIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := migrated(t)
	seed := application.NewBootstrap(postgres.NewRoles(postgres.NewDB(db)), application.Config{}, application.Deps{})
	require.NoError(t, seed.Seed(ctx))
	require.NoError(t, seed.Seed(ctx))

	var perms []string
	require.NoError(t, db.Select(&perms, `SELECT permission_name FROM role_permissions
		WHERE role_name = 'admin' ORDER BY 1`))
	assert.Len(t, perms, len(domain.BuiltinPermissions()))
	var system int
	require.NoError(t, db.Get(&system, `SELECT count(*) FROM roles WHERE system`))
	assert.Equal(t, 2, system)
}

func TestTransactionRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	d := postgres.NewDB(migrated(t))
	users := postgres.NewUsers(d)
	u := domain.User{
		ID: "00000000-0000-4000-8000-000000000001", Email: "a@example.com",
		Status: domain.StatusActive, PasswordHash: "h",
		CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}
	boom := assert.AnError
	err := d.InTx(ctx, func(ctx context.Context) error {
		require.NoError(t, users.Create(ctx, u, "a@example.com", []string{domain.RoleUser}))
		return boom
	})
	assert.ErrorIs(t, err, boom)
	_, err = users.ByID(ctx, u.ID)
	assert.ErrorIs(t, err, domain.ErrNotFound, "the insert was rolled back")
}

func TestConcurrentCreatesOfOneEmailYieldOneAccount(t *testing.T) {
	ctx := context.Background()
	users := postgres.NewUsers(postgres.NewDB(migrated(t)))
	const n = 20
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			u := domain.User{
				ID:    "00000000-0000-4000-8000-" + leftPad(i),
				Email: "race@example.com", Status: domain.StatusActive,
				PasswordHash: "h", CreatedAt: time.Now(), UpdatedAt: time.Now(),
			}
			errs <- users.Create(ctx, u, domain.EmailKey(u.Email), []string{domain.RoleUser})
		}(i)
	}
	ok := 0
	for i := 0; i < n; i++ {
		if err := <-errs; err == nil {
			ok++
		} else {
			assert.ErrorIs(t, err, domain.ErrConflict)
		}
	}
	assert.Equal(t, 1, ok)
}

func leftPad(i int) string {
	s := "000000000000" + string(rune('0'+i/10)) + string(rune('0'+i%10))
	return s[len(s)-12:]
}

// migrationCount is the number of embedded migration files.
func migrationCount(t *testing.T) int {
	entries, err := migrations.FS.ReadDir(".")
	require.NoError(t, err)
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			n++
		}
	}
	require.NotZero(t, n)
	return n
}

// Reset tokens issued for one account at the same moment leave exactly
// one usable: each replacement retires the ones before it.
func TestConcurrentResetTokensLeaveOneLive(t *testing.T) {
	ctx := context.Background()
	sqlDB := migrated(t)
	d := postgres.NewDB(sqlDB)
	users := postgres.NewUsers(d)
	u := domain.User{ID: "00000000-0000-4000-8000-000000000001", Email: "reset@example.com",
		Status: domain.StatusActive, PasswordHash: "h", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	require.NoError(t, users.Create(ctx, u, domain.EmailKey(u.Email), []string{domain.RoleUser}))
	resets := postgres.NewResets(d)

	const n = 12
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			now := time.Now()
			errs <- resets.Replace(ctx, domain.ResetToken{
				Hash: bytes.Repeat([]byte{byte(i + 1)}, 32), UserID: u.ID,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		}(i)
	}
	for i := 0; i < n; i++ {
		require.NoError(t, <-errs)
	}
	var live int
	require.NoError(t, sqlDB.Get(&live,
		`SELECT count(*) FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL`, u.ID))
	assert.Equal(t, 1, live)
}
