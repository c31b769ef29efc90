//go:build integration

package test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/adapters/pgdump"
	"auth-service/ports"
	"auth-service/test/testdb"
)

// Findings of a bad-input review, each kept as a test.

func TestLastAdminRuleHoldsForAnyIDSpelling(t *testing.T) {
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)
	id := e2eMe(t, s, admin).str("id")
	upper := strings.ToUpper(id)

	assert.Equal(t, http.StatusConflict,
		s.call("PATCH", "/v1/admin/users/"+upper, admin, map[string]string{"status": "disabled"}).Status)
	assert.Equal(t, http.StatusConflict,
		s.call("PUT", "/v1/admin/users/"+upper+"/roles", admin, map[string][]string{"roles": {"user"}}).Status)
	assert.Equal(t, http.StatusConflict,
		s.call("DELETE", "/v1/admin/users/"+upper+"?permanent=true", admin, nil).Status)
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/users/me", admin, nil).Status,
		"the administrator is untouched")
}

func TestControlCharactersInParametersAre400(t *testing.T) {
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)
	for _, path := range []string{
		"/v1/admin/users?q=%00",
		"/v1/admin/audit-events?action=%00",
		"/v1/admin/audit-events?action=%ff",
		"/v1/admin/roles/%00",
		"/v1/admin/roles/admin%00",
		"/v1/admin/roles/%ff",
	} {
		r := s.call("GET", path, admin, nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, path)
	}
	for _, c := range []struct {
		path string
		body string
		want int
	}{
		{"/v1/admin/users", `{"email":"n1@example.com","password":"long enough pw 1","roles":["\u0000"]}`,
			http.StatusBadRequest},
		{"/v1/admin/roles", `{"name":"nulrole","description":"a\u0000b"}`, http.StatusBadRequest},
		{"/v1/admin/permissions", `{"name":"nul:perm","description":"a\u0000b"}`, http.StatusBadRequest},
	} {
		r := s.call("POST", c.path, admin, c.body)
		assert.Equal(t, c.want, r.Status, "%s %s: %s", c.path, c.body, r.Raw)
	}
	r := s.call("PATCH", "/v1/admin/roles/user", admin, `{"description":"a\u0000b"}`)
	assert.Equal(t, http.StatusBadRequest, r.Status)
}

func TestPlainDumpWithPsqlMetaCommandIsRefused(t *testing.T) {
	db := testdb.New(t)
	dir := t.TempDir()
	pwned := filepath.Join(t.TempDir(), "pwned")
	for name, body := range map[string]string{
		"shell.sql":  "\\! touch " + pwned + "\n-- PostgreSQL database dump complete\n",
		"commit.sql": "CREATE TABLE zz (a int);\nCOMMIT;\nSELECT 1/0;\n-- PostgreSQL database dump complete\n",
	} {
		bkPlace(t, dir, name, []byte(body), bkSum([]byte(body)))
		env := bkEnv(t, db, dir)
		_, stderr, code := bkRunCLI(t, env, "backup", "restore", name, "--yes")
		assert.NotEqual(t, 0, code, name)
		assert.Contains(t, stderr, "not plain SQL", name)
		_, _, code = bkRunCLI(t, env, "backup", "verify", name)
		assert.NotEqual(t, 0, code, name)
	}
	_, err := os.Stat(pwned)
	assert.True(t, os.IsNotExist(err), "the shell command never ran")
	var tables int
	require.NoError(t, bkOpen(t, db).QueryRow(
		`SELECT count(*) FROM information_schema.tables WHERE table_name = 'zz'`).Scan(&tables))
	assert.Zero(t, tables)
}

func TestRestoredDatabaseEndsOldSessions(t *testing.T) {
	db := testdb.New(t)
	dir := filepath.Join(t.TempDir(), "backups")
	s := startServerOn(t, db, "BACKUP_DIR="+dir)
	s.register("restored@example.com")
	access, _ := s.login("restored@example.com")
	require.NoError(t, s.stop())

	env := bkEnv(t, db, dir)
	file := bkBackupNow(t, env)
	bkMustCLI(t, env, "backup", "restore", file, "--yes")

	s = startServerOn(t, db, "BACKUP_DIR="+dir, "JWT_DEV_KEY_FILE="+s.keyFile)
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", access, nil).Status)
	s.login("restored@example.com")
}

func TestInitialDumpHoldsTheSeeds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	s := startServer(t, e2eAdminSettings("BACKUP_DIR="+dir)...)
	bkWaitInitial(t, dir)
	require.NoError(t, s.stop())
	dump, err := os.ReadFile(filepath.Join(dir, "auth_db_backup_inicial.sql"))
	require.NoError(t, err)
	assert.Contains(t, string(dump), e2eAdminEmail, "the first administrator is in it")
	assert.Contains(t, string(dump), "users:read", "the seeded permissions are in it")
}

func TestRestoreAsksAndStaysInsideTheBackupFolder(t *testing.T) {
	db := testdb.New(t)
	dir := filepath.Join(t.TempDir(), "backups")
	s := startServerOn(t, db, "BACKUP_DIR="+dir)
	s.register("kept@example.com")
	require.NoError(t, s.stop())
	env := bkEnv(t, db, dir)
	file := bkBackupNow(t, env)
	before := bkSnapshot(t, db)
	bkExec(t, db, `DELETE FROM users`)
	changed := bkSnapshot(t, db)

	// Without --yes it asks; anything but "yes" changes nothing.
	cmd := exec.Command(binary, "--env-file", "/nonexistent", "backup", "restore", file)
	cmd.Env = env
	cmd.Stdin = strings.NewReader("no\n")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, string(out))
	assert.Contains(t, string(out), "not confirmed")
	assert.Equal(t, changed, bkSnapshot(t, db))
	assert.Empty(t, bkFilter(bkSafetyFiles(t, dir), func(n string) bool { return true }))

	// A copy outside BACKUP_DIR needs --allow-outside.
	outside := filepath.Join(t.TempDir(), file)
	data, err := os.ReadFile(filepath.Join(dir, file))
	require.NoError(t, err)
	bkPlace(t, filepath.Dir(outside), file, data, bkSum(data))
	_, stderr, code := bkRunCLI(t, env, "backup", "restore", outside, "--yes")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "--allow-outside")
	assert.Equal(t, changed, bkSnapshot(t, db))

	bkMustCLI(t, env, "backup", "restore", outside, "--allow-outside", "--yes")
	assert.Equal(t, before, bkSnapshot(t, db))
}

// A dump of another database, checksummed and in BACKUP_DIR, is refused
// by verify and restore before anything happens: no safety dump, no
// change, no session ended.
func TestDumpOfAnotherDatabaseIsNotRestored(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	dir := filepath.Join(t.TempDir(), "backups")
	s := startServerOn(t, db, "BACKUP_DIR="+dir)
	s.register("stays@example.com")
	access, _ := s.login("stays@example.com")

	foreign := testdb.New(t)
	bkExec(t, foreign, `CREATE TABLE foo (a int); INSERT INTO foo VALUES (1)`)
	tools, err := pgdump.New(pgdump.Config{URL: foreign}, nil)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, tools.Dump(t.Context(), ports.FormatCustom, &b))
	const name = "auth_db_backup_10-00_01-01-2026.dump"
	bkPlace(t, dir, name, b.Bytes(), "")

	env := bkEnv(t, db, dir)
	before := bkSnapshot(t, db)
	_, stderr, code := bkRunCLI(t, env, "backup", "verify", name)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "not of this service's database")
	_, stderr, code = bkRunCLI(t, env, "backup", "restore", name, "--yes")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "not of this service's database")

	assert.Equal(t, before, bkSnapshot(t, db))
	assert.Empty(t, bkSafetyFiles(t, dir), "refused before the safety dump")
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/users/me", access, nil).Status, "no session ended")
}
