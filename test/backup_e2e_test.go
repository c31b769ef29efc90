//go:build integration

package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/test/testdb"
)

// End-to-end tests of the backup commands (OPERATIONS.md: start-up step 4,
// periodic backups, restore) against the real binary, pg_dump, pg_restore
// and psql. Each test has its own database and its own BACKUP_DIR. Helpers
// carry a "bk" prefix so they cannot collide with other files of the
// package.

const (
	bkInitial     = "auth_db_backup_inicial.sql"
	bkAdminEmail  = "backup-admin@example.com"
	bkAdminPass   = "seeded backup administrator passphrase 7"
	bkHardPass    = `p@ss:w/rd#50% 'q" x`
	bkCLITimeout  = 60 * time.Second
	bkWaitTimeout = 30 * time.Second
)

var (
	bkPeriodicRe = regexp.MustCompile(`^auth_db_backup_\d{2}-\d{2}_\d{2}-\d{2}-\d{4}(?:_[1-9]\d*)?\.dump$`)
	bkResultRe   = regexp.MustCompile(`(?m)^backup (\S+) size=(\d+) sha256=([0-9a-f]{64}) `)
	bkSafetyRe   = regexp.MustCompile(`(?m)^safety dump: (\S+)$`)
	bkTempRe     = regexp.MustCompile(`^\.auth_db_backup_tmp_.*\.partial$`)
)

// bkIsBackupName says whether name carries a backup's name: periodic,
// initial or safety.
func bkIsBackupName(name string) bool {
	return bkPeriodicRe.MatchString(name) || name == bkInitial ||
		(strings.HasPrefix(name, "auth_db_safety_") && strings.HasSuffix(name, ".dump"))
}

// bkEnv is the minimal environment of a CLI run: dbURL ("" to leave
// DATABASE_URL out), the backup folder, a development key file and fast
// hashing, followed by extra.
func bkEnv(t *testing.T, dbURL, backupDir string, extra ...string) []string {
	t.Helper()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"BACKUP_DIR=" + backupDir,
		"JWT_DEV_KEY_FILE=" + filepath.Join(t.TempDir(), "jwt.pem"),
		"ARGON2_MEMORY_KIB=64",
		"ARGON2_ITERATIONS=1",
	}
	if dbURL != "" {
		env = append(env, "DATABASE_URL="+dbURL)
	}
	return append(env, extra...)
}

// bkRunCLI runs the binary with --env-file /nonexistent, env as its whole
// environment, and args; it returns what it printed and its exit code.
func bkRunCLI(t *testing.T, env []string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bkCLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--env-file", "/nonexistent"}, args...)...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		exitCode = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	require.NoError(t, ctx.Err(), "%v did not finish within %s", args, bkCLITimeout)
	return out.String(), errOut.String(), exitCode
}

// bkMustCLI runs the binary and fails the test unless it exits 0.
func bkMustCLI(t *testing.T, env []string, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, code := bkRunCLI(t, env, args...)
	require.Equal(t, 0, code, "%v\nstdout:\n%s\nstderr:\n%s", args, stdout, stderr)
	return stdout, stderr
}

// bkProc is a CLI run in the background.
type bkProc struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	errOut *syncBuffer
	done   chan struct{}
	err    error
}

func bkStartCLI(t *testing.T, env []string, args ...string) *bkProc {
	t.Helper()
	p := &bkProc{out: &syncBuffer{}, errOut: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"--env-file", "/nonexistent"}, args...)...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.errOut
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait returns the exit code, failing the test after bkCLITimeout.
func (p *bkProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(bkCLITimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%v did not finish within %s", p.cmd.Args, bkCLITimeout)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, p.err)
	return 0
}

// bkResult reads "backup NAME size=N sha256=X" from the output of `backup
// now`.
func bkResult(t *testing.T, stdout string) (name string, size int64, sum string) {
	t.Helper()
	m := bkResultRe.FindStringSubmatch(stdout)
	require.NotNil(t, m, "no backup line in:\n%s", stdout)
	size, err := strconv.ParseInt(m[2], 10, 64)
	require.NoError(t, err)
	return m[1], size, m[3]
}

// bkBackupNow runs `backup now` and returns the file it wrote.
func bkBackupNow(t *testing.T, env []string) string {
	t.Helper()
	out, _ := bkMustCLI(t, env, "backup", "now")
	name, _, _ := bkResult(t, out)
	return name
}

// bkNames lists the folder's entries, sorted.
func bkNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func bkFilter(names []string, keep func(string) bool) []string {
	var out []string
	for _, n := range names {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

func bkSafetyFiles(t *testing.T, dir string) []string {
	return bkFilter(bkNames(t, dir), func(n string) bool {
		return strings.HasPrefix(n, "auth_db_safety_")
	})
}

func bkPeriodicFiles(t *testing.T, dir string) []string {
	return bkFilter(bkNames(t, dir), bkPeriodicRe.MatchString)
}

func bkSum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// bkPlace writes data as dir/name with a sha256sum sidecar holding sum
// (the checksum of data when sum is empty).
func bkPlace(t *testing.T, dir, name string, data []byte, sum string) {
	t.Helper()
	if sum == "" {
		sum = bkSum(data)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".sha256"), []byte(sum+"  "+name+"\n"), 0o600))
}

// bkAssertSidecar checks that dir/name has a sidecar matching its bytes,
// with sha256sum -c when it is installed.
func bkAssertSidecar(t *testing.T, dir, name string) {
	t.Helper()
	side, err := os.ReadFile(filepath.Join(dir, name+".sha256"))
	require.NoError(t, err, "sidecar of %s", name)
	data, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	assert.Equal(t, bkSum(data)+"  "+name+"\n", string(side), "sidecar of %s", name)
	if p, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(p, "-c", name+".sha256")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "sha256sum -c %s.sha256: %s", name, out)
	}
}

// bkWaitFile waits, bounded, until dir/name exists.
func bkWaitFile(t *testing.T, dir, name string) {
	t.Helper()
	deadline := time.Now().Add(bkWaitTimeout)
	for {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear in %s within %s; folder: %v", name, dir, bkWaitTimeout, bkNames(t, dir))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bkWaitInitial waits until the initial dump and its sidecar exist.
func bkWaitInitial(t *testing.T, dir string) {
	t.Helper()
	bkWaitFile(t, dir, bkInitial+".sha256")
	bkWaitFile(t, dir, bkInitial)
}

func bkCronLog(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cron.log"))
	require.NoError(t, err)
	return string(b)
}

func bkOpen(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func bkExec(t *testing.T, dbURL string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	for _, s := range stmts {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
}

// bkSnapshotQueries give the canonical content a restore must bring back.
var bkSnapshotQueries = []string{
	`SELECT id::text, email, name, status, password_hash FROM users ORDER BY id`,
	`SELECT name, description, system::text FROM roles ORDER BY name`,
	`SELECT name, description FROM permissions ORDER BY name`,
	`SELECT role_name, permission_name FROM role_permissions ORDER BY role_name, permission_name`,
	`SELECT user_id::text, role_name FROM user_roles ORDER BY user_id, role_name`,
}

// bkSnapshot returns the rows of bkSnapshotQueries, one line each.
func bkSnapshot(t *testing.T, dbURL string) []string {
	t.Helper()
	db, err := sql.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	var lines []string
	for i, q := range bkSnapshotQueries {
		rows, err := db.Query(q)
		require.NoError(t, err, q)
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			require.NoError(t, rows.Scan(ptrs...))
			parts := []string{strconv.Itoa(i)}
			for _, v := range vals {
				if v.Valid {
					parts = append(parts, strconv.Quote(v.String))
				} else {
					parts = append(parts, "NULL")
				}
			}
			lines = append(lines, strings.Join(parts, "|"))
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	return lines
}

// bkInsertUser adds an account directly in the database.
func bkInsertUser(t *testing.T, dbURL, email string) {
	t.Helper()
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	bkExec(t, dbURL, fmt.Sprintf(`INSERT INTO users (id, email, email_key, name, password_hash, created_at, updated_at)
		VALUES (%s, %s, %s, 'Inserted', '$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA', now(), now())`,
		pq.QuoteLiteral(id), pq.QuoteLiteral(email), pq.QuoteLiteral(strings.ToLower(email))))
}

// bkBallast adds a table of rows, a few MB, so that dumps take long
// enough to overlap or be interrupted.
func bkBallast(t *testing.T, dbURL string, rows int) {
	t.Helper()
	bkExec(t, dbURL, fmt.Sprintf(`CREATE TABLE bk_ballast AS
		SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS pad FROM generate_series(1, %d) g`, rows))
}

// bkMigrated gives a test a migrated database of its own, an empty backup
// folder and the CLI environment for both.
func bkMigrated(t *testing.T, extra ...string) (dbURL, dir string, env []string) {
	t.Helper()
	dbURL = testdb.New(t)
	dir = t.TempDir()
	env = bkEnv(t, dbURL, dir, extra...)
	bkMustCLI(t, env, "migrate", "up")
	return dbURL, dir, env
}

// bkRegister creates an account and returns its id.
func bkRegister(t *testing.T, s *server, email string) string {
	t.Helper()
	r := s.call("POST", "/v1/auth/register", "", map[string]string{
		"email": email, "password": goodPassword, "name": "Name of " + email})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	require.NotEmpty(t, r.str("id"))
	return r.str("id")
}

func bkAdminToken(t *testing.T, s *server) string {
	t.Helper()
	r := s.call("POST", "/v1/auth/login", "", creds{bkAdminEmail, bkAdminPass})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	return r.str("access_token")
}

// 1. Dump, change, restore: the data is exactly what it was at dump time.
func TestBackupRoundTrip(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	dir := t.TempDir()
	env := bkEnv(t, dbURL, dir)

	s := startServerOn(t, dbURL, "BACKUP_DIR="+dir,
		"ADMIN_EMAIL="+bkAdminEmail, "ADMIN_PASSWORD="+bkAdminPass)
	ana := bkRegister(t, s, "ana@example.com")
	bob := bkRegister(t, s, "bob@example.com")
	bkRegister(t, s, "carla@example.com")
	admin := bkAdminToken(t, s)
	r := s.call("POST", "/v1/admin/roles", admin, map[string]any{
		"name": "auditor", "description": "Reads the audit trail",
		"permissions": []string{"audit:read", "users:read"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	r = s.call("POST", "/v1/admin/roles", admin, map[string]any{"name": "support", "permissions": []string{}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	for _, id := range []string{ana, bob} {
		r = s.call("PUT", "/v1/admin/users/"+id+"/roles", admin,
			map[string]any{"roles": []string{"user", "auditor"}})
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	}
	bkWaitInitial(t, dir) // the server's initial dump holds the lock while it runs
	require.NoError(t, s.stop())

	out, _ := bkMustCLI(t, env, "backup", "now")
	name, size, sum := bkResult(t, out)
	require.Regexp(t, bkPeriodicRe, name)
	st, err := os.Stat(filepath.Join(dir, name))
	require.NoError(t, err)
	assert.Equal(t, size, st.Size())
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "backup file mode")
	bkAssertSidecar(t, dir, name)
	data, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	assert.Equal(t, sum, bkSum(data))
	atDump := bkSnapshot(t, dbURL)
	require.NotEmpty(t, atDump)
	assert.Contains(t, strings.Join(atDump, "\n"), `"auditor"`)

	// Change the data: delete an account, rename a role, describe another,
	// add an account.
	bkExec(t, dbURL,
		`DELETE FROM users WHERE email = 'bob@example.com'`,
		`UPDATE roles SET name = 'helpdesk' WHERE name = 'support'`,
		`UPDATE roles SET description = 'changed' WHERE name = 'auditor'`,
	)
	bkInsertUser(t, dbURL, "dave@example.com")
	require.NotEqual(t, atDump, bkSnapshot(t, dbURL))

	out, stderr := bkMustCLI(t, env, "backup", "restore", filepath.Join(dir, name), "--yes")
	m := bkSafetyRe.FindStringSubmatch(out)
	require.NotNil(t, m, "no safety dump named:\n%s\n%s", out, stderr)
	safety := m[1]
	assert.Contains(t, out, "restored ")
	assert.Equal(t, atDump, bkSnapshot(t, dbURL), "the restore brought back the data of the dump")

	assert.True(t, strings.HasPrefix(safety, "auth_db_safety_") && strings.HasSuffix(safety, ".dump"), safety)
	bkAssertSidecar(t, dir, safety)
	// The dump restored is still there, untouched.
	bkAssertSidecar(t, dir, name)
	assert.Contains(t, bkCronLog(t, dir), "OK restored")
}

// 2. The server writes the initial plain dump once; a restart does not
// rewrite it; it restores with psql into an empty database.
func TestBackupInitialDumpWrittenOnce(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	dir := t.TempDir()
	s := startServerOn(t, dbURL, "BACKUP_DIR="+dir)
	bkWaitInitial(t, dir)
	bkAssertSidecar(t, dir, bkInitial)
	path := filepath.Join(dir, bkInitial)
	before, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), before.Mode().Perm())
	content, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(content), "-- PostgreSQL database dump complete", "a plain SQL dump")
	require.NoError(t, s.stop())
	assert.Equal(t, 1, strings.Count(s.logs.String(), `"msg":"initial backup written"`), s.logs.String())

	s2 := startServerOn(t, dbURL, "BACKUP_DIR="+dir)
	time.Sleep(1500 * time.Millisecond) // give a wrong rewrite time to happen
	require.NoError(t, s2.stop())
	assert.NotContains(t, s2.logs.String(), "initial backup written")
	after, err := os.Stat(path)
	require.NoError(t, err)
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before.ModTime(), after.ModTime(), "the initial dump was rewritten")
	assert.Equal(t, content, again, "the initial dump was rewritten")
	bkAssertSidecar(t, dir, bkInitial)
	assert.Equal(t, 1, strings.Count(bkCronLog(t, dir), "START initial backup"), bkCronLog(t, dir))
	assert.Empty(t, bkFilter(bkNames(t, dir), func(n string) bool {
		return strings.HasPrefix(n, "auth_db_backup_inicial") &&
			n != bkInitial && n != bkInitial+".sha256"
	}), "a second initial dump")

	// It restores into an empty database with the seed's psql command.
	target := testdb.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), bkCLITimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-d", target, "-f", path).CombinedOutput()
	require.NoError(t, err, "psql -f %s: %s", bkInitial, out)
	var users sql.NullString
	require.NoError(t, bkOpen(t, target).QueryRow(`SELECT to_regclass('public.users')::text`).Scan(&users))
	assert.True(t, users.Valid, "the restored database has no users table")
}

// 3. A truncated custom dump with a matching sidecar is refused by verify
// and by restore before the database is touched.
func TestBackupTruncatedDumpIsRefused(t *testing.T) {
	t.Parallel()
	dbURL, dir, env := bkMigrated(t)
	bkInsertUser(t, dbURL, "erin@example.com")
	good := bkBackupNow(t, env)
	data, err := os.ReadFile(filepath.Join(dir, good))
	require.NoError(t, err)
	const bad = "auth_db_backup_00-00_01-01-2020.dump"
	bkPlace(t, dir, bad, data[:len(data)/2], "") // the checksum holds: only the dump check can catch it

	bkInsertUser(t, dbURL, "frank@example.com")
	before := bkSnapshot(t, dbURL)

	out, stderr, code := bkRunCLI(t, env, "backup", "verify", bad)
	assert.NotEqual(t, 0, code, "verify accepted a truncated dump:\n%s%s", out, stderr)
	assert.NotContains(t, out, "dump readable")

	out, stderr, code = bkRunCLI(t, env, "backup", "restore", bad, "--yes")
	assert.NotEqual(t, 0, code, "restore accepted a truncated dump:\n%s%s", out, stderr)
	assert.NotContains(t, out, "safety dump:")
	assert.Empty(t, bkSafetyFiles(t, dir), "a safety dump was taken: the database was touched")
	assert.Equal(t, before, bkSnapshot(t, dbURL))
	assert.NotContains(t, bkCronLog(t, dir), "START restore")

	// The good dump still verifies.
	out, _ = bkMustCLI(t, env, "backup", "verify", good)
	assert.Contains(t, out, "checksum ok, dump readable")
}

// 4. A file that does not match its sidecar is refused, naming the
// checksum.
func TestBackupChecksumMismatchIsRefused(t *testing.T) {
	t.Parallel()
	dbURL, dir, env := bkMigrated(t)
	good := bkBackupNow(t, env)
	data, err := os.ReadFile(filepath.Join(dir, good))
	require.NoError(t, err)
	damaged := slices.Clone(data)
	damaged[len(damaged)/2] ^= 0xff
	const bad = "auth_db_backup_00-01_01-01-2020.dump"
	bkPlace(t, dir, bad, damaged, bkSum(data))
	bkInsertUser(t, dbURL, "gina@example.com")
	before := bkSnapshot(t, dbURL)

	out, stderr, code := bkRunCLI(t, env, "backup", "restore", bad, "--yes")
	assert.NotEqual(t, 0, code, "restore accepted a damaged file:\n%s%s", out, stderr)
	assert.Contains(t, strings.ToLower(stderr), "checksum", stderr)
	assert.Empty(t, bkSafetyFiles(t, dir))
	assert.Equal(t, before, bkSnapshot(t, dbURL))

	out, stderr, code = bkRunCLI(t, env, "backup", "verify", bad)
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, strings.ToLower(stderr), "checksum", stderr)
}

// 5. A plain restore that fails half-way leaves the data as it was.
func TestBackupFailedRestoreChangesNothing(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	dir := t.TempDir()
	env := bkEnv(t, dbURL, dir)
	s := startServerOn(t, dbURL, "BACKUP_DIR="+dir)
	bkWaitInitial(t, dir)
	bkRegister(t, s, "hugo@example.com")
	bkRegister(t, s, "iris@example.com")
	require.NoError(t, s.stop())
	before := bkSnapshot(t, dbURL)

	initial, err := os.ReadFile(filepath.Join(dir, bkInitial))
	require.NoError(t, err)
	text := string(initial)
	i := strings.LastIndex(text, "--\n-- PostgreSQL database dump complete")
	require.Positive(t, i, "no completion marker in the initial dump")
	const bad = "auth_db_broken.sql"
	bkPlace(t, dir, bad, []byte(text[:i]+"SELECT 1/0;\n\n"+text[i:]), "")

	out, stderr, code := bkRunCLI(t, env, "backup", "restore", bad, "--yes")
	assert.NotEqual(t, 0, code, "the broken restore succeeded:\n%s%s", out, stderr)
	assert.Contains(t, stderr, "division by zero")
	assert.Equal(t, before, bkSnapshot(t, dbURL), "a failed restore changed the data")
	if m := bkSafetyRe.FindStringSubmatch(out); assert.NotNil(t, m, "no safety dump:\n%s", out) {
		bkAssertSidecar(t, dir, m[1])
	}
	assert.Contains(t, bkCronLog(t, dir), "FAILED restore of "+bad)
}

// 6. A password with URL and shell metacharacters, given as POSTGRES_*
// parts, works end to end and never shows.
func TestBackupHardPasswordFromParts(t *testing.T) {
	t.Parallel()
	adminURL := testdb.AdminURL(t)
	admin := bkOpen(t, adminURL)
	var b [6]byte
	_, _ = rand.Read(b[:])
	role := "auth_test_role_" + hex.EncodeToString(b[:])
	_, err := admin.Exec("CREATE ROLE " + pq.QuoteIdentifier(role) + " LOGIN PASSWORD " + pq.QuoteLiteral(bkHardPass))
	require.NoError(t, err)
	// Registered before testdb.New, so it runs after the database is gone.
	t.Cleanup(func() {
		db, err := sql.Open("postgres", adminURL)
		if err == nil {
			_, err = db.Exec("DROP ROLE IF EXISTS " + pq.QuoteIdentifier(role))
			_ = db.Close()
		}
		assert.NoError(t, err)
	})
	dbURL := testdb.New(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	dbName := strings.TrimPrefix(u.Path, "/")
	_, err = admin.Exec("ALTER DATABASE " + pq.QuoteIdentifier(dbName) + " OWNER TO " + pq.QuoteIdentifier(role))
	require.NoError(t, err)

	port := u.Port()
	if port == "" {
		port = "5432"
	}
	sslmode := u.Query().Get("sslmode")
	if sslmode == "" {
		sslmode = "disable"
	}
	dir := t.TempDir()
	env := bkEnv(t, "", dir,
		"POSTGRES_HOST="+u.Hostname(), "POSTGRES_PORT="+port, "POSTGRES_USER="+role,
		"POSTGRES_PASSWORD="+bkHardPass, "POSTGRES_DB="+dbName, "POSTGRES_SSLMODE="+sslmode,
		"LOG_LEVEL=debug")

	var printed strings.Builder
	run := func(args ...string) string {
		t.Helper()
		out, errOut := bkMustCLI(t, env, args...)
		printed.WriteString(out + errOut)
		return out
	}
	run("migrate", "up")
	var owner string
	require.NoError(t, bkOpen(t, dbURL).QueryRow(
		`SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'users'`).Scan(&owner))
	require.Equal(t, role, owner, "the CLI connected as the role")
	bkInsertUser(t, dbURL, "jack@example.com")
	atDump := bkSnapshot(t, dbURL)

	name, _, _ := bkResult(t, run("backup", "now"))
	bkAssertSidecar(t, dir, name)
	bkExec(t, dbURL, `DELETE FROM users`)
	bkInsertUser(t, dbURL, "kate@example.com")
	out := run("backup", "restore", name, "--yes")
	assert.Regexp(t, bkSafetyRe, out)
	assert.Equal(t, atDump, bkSnapshot(t, dbURL))
	run("backup", "list")
	run("backup", "status")

	forms := []string{bkHardPass, url.QueryEscape(bkHardPass), url.PathEscape(bkHardPass),
		strings.TrimPrefix(url.UserPassword("", bkHardPass).String(), ":")}
	texts := map[string]string{"stdout/stderr": printed.String(), "cron.log": bkCronLog(t, dir)}
	if st, err := os.ReadFile(filepath.Join(dir, ".backup-state.json")); err == nil {
		texts["state"] = string(st)
	}
	for where, text := range texts {
		for _, f := range forms {
			assert.NotContains(t, text, f, "the password shows in %s", where)
		}
	}
}

// 7. Two `backup now` at once: one dumps, the other skips; both exit 0.
func TestBackupConcurrentRunsSkip(t *testing.T) {
	t.Parallel()
	dbURL, dir, env := bkMigrated(t, "BACKUP_KEEP=20")
	bkBallast(t, dbURL, 300_000)

	for attempt := 1; ; attempt++ {
		before := bkPeriodicFiles(t, dir)
		a := bkStartCLI(t, env, "backup", "now")
		b := bkStartCLI(t, env, "backup", "now")
		codeA, codeB := a.wait(t), b.wait(t)
		outs := []string{a.out.String() + a.errOut.String(), b.out.String() + b.errOut.String()}
		require.Equal(t, 0, codeA, outs[0])
		require.Equal(t, 0, codeB, outs[1])
		added := bkFilter(bkPeriodicFiles(t, dir), func(n string) bool { return !slices.Contains(before, n) })
		skipped := 0
		for _, o := range []string{a.out.String(), b.out.String()} {
			if strings.Contains(o, "skipped") {
				skipped++
			}
		}
		if skipped == 0 && len(added) == 2 && attempt < 3 {
			t.Logf("attempt %d: the two runs did not overlap; trying again", attempt)
			continue
		}
		assert.Equal(t, 1, skipped, "exactly one run skips:\n%s\n---\n%s", outs[0], outs[1])
		assert.Len(t, added, 1, "exactly one new dump")
		assert.Contains(t, bkCronLog(t, dir), "SKIPPED")
		for _, n := range added {
			bkAssertSidecar(t, dir, n)
		}
		break
	}
	assert.Empty(t, bkFilter(bkNames(t, dir), bkTempRe.MatchString), "temporary files left")
}

// 8. A run killed with SIGKILL mid-dump leaves no backup name behind, and
// the next run sweeps its temporary file.
func TestBackupKilledRunLeavesNoBackup(t *testing.T) {
	t.Parallel()
	dbURL, dir, env := bkMigrated(t)
	bkBallast(t, dbURL, 300_000)

	p := bkStartCLI(t, env, "backup", "now")
	deadline := time.Now().Add(bkWaitTimeout)
	var temp []string
	for {
		temp = bkFilter(bkNames(t, dir), bkTempRe.MatchString)
		if len(temp) > 0 {
			break
		}
		select {
		case <-p.done:
			t.Fatalf("backup now finished before its temporary file was seen:\n%s%s",
				p.out.String(), p.errOut.String())
		default:
		}
		require.False(t, time.Now().After(deadline), "no temporary file appeared")
		time.Sleep(2 * time.Millisecond)
	}
	require.NoError(t, p.cmd.Process.Kill()) // SIGKILL
	<-p.done

	names := bkNames(t, dir)
	assert.Empty(t, bkFilter(names, bkIsBackupName), "the killed run left a backup name: %v", names)
	require.NotEmpty(t, bkFilter(names, bkTempRe.MatchString),
		"the temporary file is gone: the run finished before the kill (make the dump slower)")

	out, _ := bkMustCLI(t, env, "backup", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Len(t, lines, 1, "backup list shows more than its header:\n%s", out)
	assert.NotContains(t, out, ".partial")
	assert.NotContains(t, out, "auth_db_")

	// The lock of the dead process goes with its connection; allow the
	// server a moment to notice.
	var name string
	for i := 0; ; i++ {
		out, errOut := bkMustCLI(t, env, "backup", "now")
		if !strings.Contains(out, "skipped") {
			name, _, _ = bkResult(t, out)
			break
		}
		require.Less(t, i, 20, "the lock of the killed run was never released:\n%s%s", out, errOut)
		time.Sleep(250 * time.Millisecond)
	}
	log := bkCronLog(t, dir)
	for _, tmp := range temp {
		assert.Contains(t, log, "SWEPT leftover temporary file "+tmp)
	}
	assert.Empty(t, bkFilter(bkNames(t, dir), bkTempRe.MatchString), "temporary files left")
	assert.Equal(t, []string{name}, bkPeriodicFiles(t, dir))
	bkAssertSidecar(t, dir, name)
}

// 9. Rotation keeps the newest BACKUP_KEEP periodic dumps, ordered by
// their time and suffix.
func TestBackupRotation(t *testing.T) {
	t.Parallel()
	_, dir, env := bkMigrated(t, "BACKUP_KEEP=3")
	// A file that is not the service's and the initial dump stay.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600))
	var made []string
	for range 5 {
		made = append(made, bkBackupNow(t, env))
	}
	base := strings.TrimSuffix(made[0], ".dump")
	if made[4] == base+"_5.dump" { // all five in one minute
		assert.Equal(t, []string{base + ".dump", base + "_2.dump", base + "_3.dump", base + "_4.dump",
			base + "_5.dump"}, made)
	}
	kept := made[2:]
	got := bkPeriodicFiles(t, dir)
	want := slices.Clone(kept)
	slices.Sort(want)
	assert.Equal(t, want, got, "made %v", made)
	for _, n := range kept {
		bkAssertSidecar(t, dir, n)
	}
	for _, n := range made[:2] {
		assert.NoFileExists(t, filepath.Join(dir, n+".sha256"))
	}
	assert.FileExists(t, filepath.Join(dir, "notes.txt"))

	log := bkCronLog(t, dir)
	assert.Equal(t, 2, strings.Count(log, "ROTATED "), log)
	for _, n := range made[:2] {
		assert.Contains(t, log, "ROTATED "+n)
	}

	out, _ := bkMustCLI(t, env, "backup", "list")
	var listed []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && bkPeriodicRe.MatchString(f[0]) {
			listed = append(listed, f[0])
			assert.Equal(t, "periodic", f[1], line)
			assert.Equal(t, "ok", f[4], line)
		}
	}
	assert.Equal(t, []string{made[4], made[3], made[2]}, listed, "newest first:\n%s", out)
}

// 10. `backup status` fails before any backup and passes right after one.
func TestBackupStatus(t *testing.T) {
	t.Parallel()
	_, _, env := bkMigrated(t)
	out, stderr, code := bkRunCLI(t, env, "backup", "status")
	assert.NotEqual(t, 0, code, "status with no backup:\n%s%s", out, stderr)
	assert.Contains(t, out, "NOT FRESH")

	name := bkBackupNow(t, env)
	out, _ = bkMustCLI(t, env, "backup", "status")
	assert.Contains(t, out, "status:        fresh")
	assert.Contains(t, out, name)
	assert.NotContains(t, out, "NOT FRESH")
}

// 11. The admin routes run and list backups; a plain user is refused;
// /metrics reports the last success.
func TestBackupAdminRoutes(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	dir := t.TempDir()
	s := startServerOn(t, dbURL, "BACKUP_DIR="+dir,
		"ADMIN_EMAIL="+bkAdminEmail, "ADMIN_PASSWORD="+bkAdminPass)
	bkWaitInitial(t, dir)
	admin := bkAdminToken(t, s)
	s.register("plain@example.com")
	user, _ := s.login("plain@example.com")

	for _, call := range [][2]string{{"POST", "/v1/admin/backups"}, {"GET", "/v1/admin/backups"}} {
		r := s.call(call[0], call[1], user, nil)
		assert.Equal(t, http.StatusForbidden, r.Status, "%s %s as a plain user: %s", call[0], call[1], r.Raw)
	}
	assert.Empty(t, bkPeriodicFiles(t, dir), "a plain user ran a backup")

	// The route takes no body; one it would ignore is refused, and runs nothing.
	junk := s.call("POST", "/v1/admin/backups", admin, "junk", "Content-Type", "text/plain")
	assert.Equal(t, http.StatusUnsupportedMediaType, junk.Status, string(junk.Raw))
	field := s.call("POST", "/v1/admin/backups", admin, `{"keep":1}`)
	assert.Equal(t, http.StatusBadRequest, field.Status, string(field.Raw))
	assert.Empty(t, bkPeriodicFiles(t, dir), "a refused request ran a backup")

	r := s.call("POST", "/v1/admin/backups", admin, nil)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	name := r.str("name")
	assert.Regexp(t, bkPeriodicRe, name)
	assert.Regexp(t, `^[0-9a-f]{64}$`, r.str("checksum"))
	size, _ := r.JSON["size"].(float64)
	assert.Positive(t, size)
	bkAssertSidecar(t, dir, name)
	data, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	assert.Equal(t, bkSum(data), r.str("checksum"))
	assert.Equal(t, float64(len(data)), size)
	assert.Contains(t, s.logs.String(), `"msg":"backup written"`)
	assert.Contains(t, s.logs.String(), `"file":"`+name+`"`)

	l := s.call("GET", "/v1/admin/backups", admin, nil)
	require.Equal(t, http.StatusOK, l.Status, string(l.Raw))
	items, _ := l.JSON["items"].([]any)
	var found map[string]any
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && m["name"] == name {
			found = m
		}
	}
	require.NotNil(t, found, "GET /v1/admin/backups does not list %s: %s", name, l.Raw)
	assert.Equal(t, "periodic", found["kind"])
	assert.Equal(t, r.str("checksum"), found["checksum"])

	m := s.call("GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, m.Status)
	var last float64
	for _, line := range strings.Split(string(m.Raw), "\n") {
		if v, ok := strings.CutPrefix(line, "auth_backup_last_success_timestamp_seconds "); ok {
			last, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err, line)
		}
	}
	assert.Positive(t, last, "auth_backup_last_success_timestamp_seconds")
	assert.InDelta(t, float64(time.Now().Unix()), last, 300)
}

// 11. `backup schedule`, the backup container's process, on its own: the
// initial dump, then a verified dump on each of two minute ticks, rotation
// to BACKUP_KEEP, one summary per run in cron.log and an event per run in
// its log, the next run announced after start and after every run, a fresh
// `backup status`, and a clean stop on SIGTERM. Takes up to two minutes of
// wall time (the ticks are whole minutes), in parallel with the rest.
func TestBackupScheduleRunsOnItsOwn(t *testing.T) {
	t.Parallel()
	_, dir, env := bkMigrated(t, "BACKUP_SCHEDULE=* * * * *", "BACKUP_KEEP=1")
	p := bkStartCLI(t, env, "backup", "schedule")

	okRun := regexp.MustCompile(` OK auth_db_backup_\S+\.dump `)
	deadline := time.Now().Add(150 * time.Second)
	for {
		log, _ := os.ReadFile(filepath.Join(dir, "cron.log"))
		if len(okRun.FindAll(log, -1)) >= 2 {
			break
		}
		select {
		case <-p.done:
			t.Fatalf("backup schedule exited: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.out.String(), p.errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no two scheduled dumps within 150s\ncron.log:\n%s\nstderr:\n%s", log, p.errOut.String())
		}
		time.Sleep(250 * time.Millisecond)
	}

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, p.wait(t), "stderr:\n%s", p.errOut.String())

	bkAssertSidecar(t, dir, bkInitial)
	periodic := bkPeriodicFiles(t, dir)
	require.Len(t, periodic, 1, "BACKUP_KEEP=1: %v", bkNames(t, dir))
	bkAssertSidecar(t, dir, periodic[0])
	bkMustCLI(t, env, "backup", "verify", periodic[0])
	out, _ := bkMustCLI(t, env, "backup", "status")
	assert.Contains(t, out, periodic[0])

	log := bkCronLog(t, dir)
	assert.Equal(t, 1, strings.Count(log, "START initial backup"), log)
	assert.Equal(t, 2, strings.Count(log, "START periodic backup"), log)
	assert.Equal(t, 1, strings.Count(log, "ROTATED "), log)
	assert.NotContains(t, log, "FAILED", log)

	events := p.errOut.String()
	assert.Equal(t, 1, strings.Count(events, `"msg":"initial backup written"`), events)
	assert.Equal(t, 2, strings.Count(events, `"msg":"backup written"`), events)
	assert.Equal(t, 1, strings.Count(events, `"msg":"backup scheduler started","next":`), events)
	assert.GreaterOrEqual(t, strings.Count(events, `"msg":"next backup"`), 2, "after each run:\n%s", events)
	assert.Equal(t, 2, strings.Count(p.out.String(), "backup auth_db_backup_"), p.out.String())
}
