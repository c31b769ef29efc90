//go:build integration

package pgdump

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/ports"
	"auth-service/test/testdb"
)

// schema has the kinds of values a dump must carry exactly: unicode,
// NULLs, quotes, control characters, bytes, and a sequence.
const schema = `
CREATE TABLE people (
	id    bigserial PRIMARY KEY,
	name  text NOT NULL,
	note  text,
	score numeric(10,2),
	born  date,
	data  bytea
);
CREATE INDEX people_name ON people (name);
INSERT INTO people (name, note, score, born, data) VALUES
	('Ana', 'ñandú 🐧 日本語 Ωmega', 1.50, '1990-01-02', '\x00ff10'),
	('Bob', NULL, NULL, NULL, NULL),
	('Zoë "quoted" ''single''', E'tab\tnew\nline back\\slash', -3.25, '2000-02-29', ''),
	('', '', 0, NULL, '\x');
INSERT INTO people (name, note)
	SELECT 'row ' || g, repeat(md5(g::text), 8) FROM generate_series(1, 3000) g;
`

func openDB(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.PingContext(t.Context()))
	return db
}

func newTools(t *testing.T, dbURL string) *Tools {
	t.Helper()
	tools, err := New(Config{URL: dbURL}, nil)
	require.NoError(t, err)
	return tools
}

// seeded returns a fresh database holding schema, its URL and a pool.
func seeded(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dbURL := testdb.New(t)
	db := openDB(t, dbURL)
	_, err := db.ExecContext(t.Context(), schema)
	require.NoError(t, err)
	return dbURL, db
}

// snapshot is the whole content of people, and where its sequence stands.
func snapshot(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT row_to_json(p)::text FROM people p ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	var last int64
	var called bool
	require.NoError(t, db.QueryRowContext(t.Context(),
		`SELECT last_value, is_called FROM people_id_seq`).Scan(&last, &called))
	return append(out, fmt.Sprintf("people_id_seq: %d %t", last, called))
}

// mutate changes, removes and adds rows, and moves the sequence.
func mutate(t *testing.T, db *sql.DB) {
	t.Helper()
	_, err := db.ExecContext(t.Context(), `
		UPDATE people SET note = 'changed', name = 'Anna' WHERE id = 1;
		UPDATE people SET note = 'was null' WHERE id = 2;
		DELETE FROM people WHERE id BETWEEN 3 AND 100;
		INSERT INTO people (name) VALUES ('new 1'), ('new 2');`)
	require.NoError(t, err)
}

func dump(t *testing.T, tools *Tools, f ports.DumpFormat) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, tools.Dump(t.Context(), f, &b))
	require.NotZero(t, b.Len())
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, f := range []ports.DumpFormat{ports.FormatCustom, ports.FormatPlain} {
		t.Run(string(f), func(t *testing.T) {
			dbURL, db := seeded(t)
			tools := newTools(t, dbURL)
			before := snapshot(t, db)

			b := dump(t, tools, f)
			require.NoError(t, tools.Verify(t.Context(), f, bytes.NewReader(b)))

			mutate(t, db)
			require.NotEqual(t, before, snapshot(t, db))

			require.NoError(t, tools.Restore(t.Context(), f, bytes.NewReader(b)))
			assert.Equal(t, before, snapshot(t, db))

			// A second restore over the restored database works too.
			require.NoError(t, tools.Restore(t.Context(), f, bytes.NewReader(b)))
			assert.Equal(t, before, snapshot(t, db))
		})
	}
}

func TestTruncatedCustomDump(t *testing.T) {
	dbURL, db := seeded(t)
	tools := newTools(t, dbURL)
	b := dump(t, tools, ports.FormatCustom)
	half := b[:len(b)/2]

	err := tools.Verify(t.Context(), ports.FormatCustom, bytes.NewReader(half))
	require.Error(t, err)
	t.Logf("Verify: %v", err)

	mutate(t, db)
	changed := snapshot(t, db)
	err = tools.Restore(t.Context(), ports.FormatCustom, bytes.NewReader(half))
	require.Error(t, err)
	t.Logf("Restore: %v", err)
	assert.Equal(t, changed, snapshot(t, db), "a failed restore changed the database")
}

func TestEmptyInput(t *testing.T) {
	dbURL, db := seeded(t)
	tools := newTools(t, dbURL)
	before := snapshot(t, db)
	for _, f := range []ports.DumpFormat{ports.FormatCustom, ports.FormatPlain} {
		err := tools.Verify(t.Context(), f, bytes.NewReader(nil))
		assert.ErrorIs(t, err, ErrEmptyDump, f)
		assert.ErrorContains(t, err, "dump is empty", f)

		err = tools.Restore(t.Context(), f, bytes.NewReader(nil))
		assert.ErrorIs(t, err, ErrEmptyDump, f)
	}
	assert.Equal(t, before, snapshot(t, db))
}

func TestPlainSyntaxErrorChangesNothing(t *testing.T) {
	dbURL, db := seeded(t)
	tools := newTools(t, dbURL)
	b := string(dump(t, tools, ports.FormatPlain))
	i := strings.LastIndex(b, "--\n"+completionMarker)
	require.Positive(t, i)
	bad := b[:i] + "SELEC broken;\n\n" + b[i:]
	require.NoError(t, tools.Verify(t.Context(), ports.FormatPlain, strings.NewReader(bad)),
		"the broken dump still looks whole")

	mutate(t, db)
	changed := snapshot(t, db)
	err := tools.Restore(t.Context(), ports.FormatPlain, strings.NewReader(bad))
	var te *ToolError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "psql", te.Tool)
	assert.Contains(t, err.Error(), "syntax error")
	assert.Equal(t, changed, snapshot(t, db))
}

func TestPlainTruncatedChangesNothing(t *testing.T) {
	dbURL, db := seeded(t)
	tools := newTools(t, dbURL)
	b := string(dump(t, tools, ports.FormatPlain))
	// Cut right after the table's data: every statement before is whole
	// (the table was dropped, recreated and filled), the indexes and the
	// marker are missing.
	i := strings.Index(b, "\n\\.\n")
	require.Positive(t, i)
	cut := b[:i+len("\n\\.\n")]
	err := tools.Verify(t.Context(), ports.FormatPlain, strings.NewReader(cut))
	assert.ErrorIs(t, err, ErrTruncatedDump)

	mutate(t, db)
	changed := snapshot(t, db)
	err = tools.Restore(t.Context(), ports.FormatPlain, strings.NewReader(cut))
	require.ErrorIs(t, err, ErrTruncatedDump)
	assert.Equal(t, changed, snapshot(t, db), "psql committed a truncated dump")
}

func randomName(t *testing.T, prefix string) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return prefix + hex.EncodeToString(b[:])
}

func TestRoleWithHardPassword(t *testing.T) {
	admin := openDB(t, testdb.AdminURL(t))
	role := randomName(t, "auth_test_role_")
	_, err := admin.ExecContext(t.Context(), "CREATE ROLE "+pq.QuoteIdentifier(role)+
		" LOGIN PASSWORD "+pq.QuoteLiteral(hardPassword))
	require.NoError(t, err)
	// Registered before testdb.New, so it runs after the database is gone.
	t.Cleanup(func() {
		// t.Context is already done while cleanups run.
		_, err := admin.ExecContext(context.Background(), "DROP ROLE IF EXISTS "+pq.QuoteIdentifier(role))
		assert.NoError(t, err)
	})

	dbURL := testdb.New(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	dbName := strings.TrimPrefix(u.Path, "/")
	_, err = admin.ExecContext(t.Context(), "ALTER DATABASE "+pq.QuoteIdentifier(dbName)+
		" OWNER TO "+pq.QuoteIdentifier(role))
	require.NoError(t, err)
	u.User = url.UserPassword(role, hardPassword)
	roleURL := u.String()
	require.Contains(t, roleURL, "%40", "the password is escaped in the URL")

	db := openDB(t, roleURL)
	var who string
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT current_user").Scan(&who))
	require.Equal(t, role, who)
	_, err = db.ExecContext(t.Context(), schema)
	require.NoError(t, err)
	before := snapshot(t, db)

	tools := newTools(t, roleURL)
	var rec recorder
	rec.wrap(tools)
	for _, f := range []ports.DumpFormat{ports.FormatCustom, ports.FormatPlain} {
		b := dump(t, tools, f)
		require.NoError(t, tools.Verify(t.Context(), f, bytes.NewReader(b)), f)
		mutate(t, db)
		require.NoError(t, tools.Restore(t.Context(), f, bytes.NewReader(b)), f)
		assert.Equal(t, before, snapshot(t, db), f)
	}

	require.NotEmpty(t, rec.cmds)
	forms := secrets(hardPassword, roleURL)
	for _, c := range rec.cmds {
		line := strings.Join(c.Args, " ")
		for _, form := range forms {
			assert.NotContains(t, line, form, "password on the command line")
		}
		if slicesContains(c.Args, "-d") {
			assert.Contains(t, c.Env, "PGPASSWORD="+hardPassword)
			assert.Contains(t, c.Args, role)
		}
	}
}

// connParts are the -h -p -U -d of a URL, and PGSSLMODE, for running the
// seed's manual commands.
func connParts(t *testing.T, dbURL string) (args, env []string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	args = []string{"-h", u.Hostname(), "-U", u.User.Username(), "-d", strings.TrimPrefix(u.Path, "/")}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	env = os.Environ()
	if m := u.Query().Get("sslmode"); m != "" {
		env = append(env, "PGSSLMODE="+m)
	}
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
	}
	return args, env
}

func TestSeedManualCommands(t *testing.T) {
	dbURL, db := seeded(t)
	tools := newTools(t, dbURL)
	before := snapshot(t, db)
	dir := t.TempDir()

	manual := []struct {
		format ports.DumpFormat
		file   string
		tool   string
	}{
		// pg_restore -U usuario -d auth_db < FILE.dump
		{ports.FormatCustom, "auth_db_backup_12-00_01-01-2026.dump", toolRestore},
		// psql -U usuario -d auth_db < auth_db_backup_inicial.sql
		{ports.FormatPlain, "auth_db_backup_inicial.sql", toolPsql},
	}
	for _, m := range manual {
		t.Run(string(m.format), func(t *testing.T) {
			path := filepath.Join(dir, m.file)
			require.NoError(t, os.WriteFile(path, dump(t, tools, m.format), 0o600))

			target := testdb.New(t)
			in, err := os.Open(path)
			require.NoError(t, err)
			defer in.Close()
			args, env := connParts(t, target)
			cmd := exec.CommandContext(t.Context(), tools.paths[m.tool], args...)
			cmd.Stdin, cmd.Env = in, env
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s: %s", m.tool, out)

			assert.Equal(t, before, snapshot(t, openDB(t, target)))
		})
	}
}

func TestVersions(t *testing.T) {
	dbURL := testdb.New(t)
	tools := newTools(t, dbURL)
	tool, server, err := tools.Versions(t.Context())
	require.NoError(t, err)

	var num int
	require.NoError(t, openDB(t, dbURL).QueryRowContext(t.Context(),
		"SELECT current_setting('server_version_num')::int").Scan(&num))
	assert.Equal(t, num/10000, server)
	assert.GreaterOrEqual(t, tool, server)
	assert.NoError(t, CheckVersions(tool, server))
	t.Logf("pg_dump %d, server %d", tool, server)
}

// With RequireTable, a dump that does not create that table (a dump of
// another database) is refused by Verify, and a plain one by Restore
// before anything is committed; a dump that creates it passes.
func TestRequireTableRefusesOtherDatabases(t *testing.T) {
	for _, f := range []ports.DumpFormat{ports.FormatCustom, ports.FormatPlain} {
		t.Run(string(f), func(t *testing.T) {
			dbURL, db := seeded(t)
			plainTools := newTools(t, dbURL)
			ours, err := New(Config{URL: dbURL, RequireTable: "public.people"}, nil)
			require.NoError(t, err)
			other, err := New(Config{URL: dbURL, RequireTable: "public.users"}, nil)
			require.NoError(t, err)
			b := dump(t, plainTools, f)

			require.NoError(t, ours.Verify(t.Context(), f, bytes.NewReader(b)))
			err = other.Verify(t.Context(), f, bytes.NewReader(b))
			require.ErrorIs(t, err, ErrOtherDatabase)
			assert.Contains(t, err.Error(), "public.users")

			if f == ports.FormatPlain {
				before := snapshot(t, db)
				mutate(t, db)
				changed := snapshot(t, db)
				require.ErrorIs(t, other.Restore(t.Context(), f, bytes.NewReader(b)), ErrOtherDatabase)
				assert.Equal(t, changed, snapshot(t, db), "nothing was restored")
				require.NoError(t, ours.Restore(t.Context(), f, bytes.NewReader(b)))
				assert.Equal(t, before, snapshot(t, db))
			}
		})
	}
}
