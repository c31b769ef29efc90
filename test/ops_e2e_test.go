//go:build integration

package test

import (
	"database/sql"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/test/testdb"
)

func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	// Slow hashing makes a login last long enough to stop the server under it.
	s := startServer(t, "ARGON2_MEMORY_KIB=65536", "ARGON2_ITERATIONS=8")
	s.register("slow@example.com")

	var wg sync.WaitGroup
	var status int
	wg.Add(1)
	go func() {
		defer wg.Done()
		status = s.call("POST", "/v1/auth/login", "", creds{"slow@example.com", goodPassword}).Status
	}()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	wg.Wait()
	assert.Equal(t, http.StatusOK, status, "the login under way was answered")
	assert.NoError(t, <-s.done, "and the server exited 0")
	s.done <- nil
}

func TestReadinessAndHealthcheckFollowTheDatabase(t *testing.T) {
	db := testdb.New(t)
	s := startServerOn(t, db)
	out, err := exec.Command(binary, "healthcheck", "--url", s.base+"/readyz").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "healthy")

	admin, err := sql.Open("postgres", testdb.AdminURL(t))
	require.NoError(t, err)
	defer admin.Close()
	u, err := url.Parse(db)
	require.NoError(t, err)
	name := strings.TrimPrefix(u.Path, "/")
	_, err = admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
	require.NoError(t, err)

	assert.Equal(t, http.StatusServiceUnavailable, s.call("GET", "/readyz", "", nil).Status)
	assert.Equal(t, http.StatusOK, s.call("GET", "/healthz", "", nil).Status, "the process still runs")
	_, err = exec.Command(binary, "healthcheck", "--url", s.base+"/readyz").CombinedOutput()
	assert.Error(t, err)
}

func TestResetLinkNeverComesFromRequestHeaders(t *testing.T) {
	mailDir := filepath.Join(t.TempDir(), "mail")
	s := startServer(t, "MAIL_DIR="+mailDir, "RESET_URL=https://accounts.example.com/reset")
	s.register("victim@example.com")
	r := s.call("POST", "/v1/auth/password/forgot", "", map[string]string{"email": "victim@example.com"},
		"Host", "evil.example", "X-Forwarded-Host", "evil.example", "Origin", "https://evil.example")
	require.Equal(t, http.StatusAccepted, r.Status)
	mails := e2eAwaitMails(t, mailDir, "victim@example.com", 1)
	assert.Contains(t, mails[0].Body, "https://accounts.example.com/reset?token=")
	assert.NotContains(t, mails[0].Body, "evil")
}

func TestShapesUseUTCTimestampsAndSortIsWhitelisted(t *testing.T) {
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)
	for _, e := range []string{"b@example.com", "a@example.com", "c@example.com"} {
		s.register(e)
	}
	me := e2eMe(t, s, admin)
	for _, k := range []string{"created_at", "updated_at"} {
		v := me.str(k)
		require.True(t, strings.HasSuffix(v, "Z"), "%s=%s is UTC", k, v)
		_, err := time.Parse(time.RFC3339Nano, v)
		assert.NoError(t, err)
	}
	sessions := s.call("GET", "/v1/users/me/sessions", admin, nil)
	item := sessions.JSON["items"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "created_at", "last_used_at", "ip", "user_agent", "current"} {
		assert.Contains(t, item, k)
	}

	emails := func(sort string) []string {
		r := s.call("GET", "/v1/admin/users?q=%40example.com&sort="+sort, admin, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		var out []string
		for _, it := range r.JSON["items"].([]any) {
			out = append(out, it.(map[string]any)["email"].(string))
		}
		return out
	}
	assert.Equal(t, []string{"a@example.com", "admin@example.com", "b@example.com", "c@example.com"},
		emails("email"))
	assert.Equal(t, []string{"c@example.com", "b@example.com", "admin@example.com", "a@example.com"},
		emails("-email"))
	bad := s.call("GET", "/v1/admin/users?sort=password_hash", admin, nil)
	assert.Equal(t, http.StatusBadRequest, bad.Status)
	assert.NotContains(t, string(bad.Raw), "SELECT")
}
