//go:build integration

package test

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/test/testdb"
)

func TestForceResetTakesSafetyDumpThenStartsEmpty(t *testing.T) {
	db := testdb.New(t)
	dir := filepath.Join(t.TempDir(), "backups")

	s := startServerOn(t, db, "BACKUP_DIR="+dir)
	s.register("before-reset@example.com")
	require.NoError(t, s.stop())

	// Refused in production, with a message, before anything is touched.
	env := bkEnv(t, db, dir, "APP_ENV=production", "FORCE_RESET=true",
		"JWT_SIGNING_KEY_FILE=/nonexistent.pem", "MAIL_MODE=smtp",
		"SMTP_HOST=127.0.0.1", "SMTP_FROM=a@example.com")
	_, stderr, code := bkRunCLI(t, env, "serve")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "FORCE_RESET")
	assert.Empty(t, bkSafetyFiles(t, dir), "no dump, no drop")

	// The Spanish alias works too; the reset keeps a verified safety dump.
	s = startServerOn(t, db, "BACKUP_DIR="+dir, "FORZAR_RESET=true")
	safety := bkFilter(bkSafetyFiles(t, dir), func(n string) bool { return filepath.Ext(n) == ".dump" })
	require.Len(t, safety, 1)
	bkAssertSidecar(t, dir, safety[0])
	login := s.call("POST", "/v1/auth/login", "", creds{"before-reset@example.com", goodPassword})
	assert.Equal(t, http.StatusUnauthorized, login.Status, "the schema was re-created empty")
	s.register("after-reset@example.com")
	require.NoError(t, s.stop())

	// The safety dump brings the old data back.
	bkMustCLI(t, bkEnv(t, db, dir), "backup", "restore", safety[0], "--yes")
	s = startServerOn(t, db, "BACKUP_DIR="+dir)
	s.login("before-reset@example.com")
}
