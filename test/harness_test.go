//go:build integration

package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"auth-service/test/testdb"
)

// binary is the auth-service executable built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "auth-service-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "auth-service")
	build := exec.Command("go", "build", "-o", binary, "../cmd/auth-service")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build auth-service:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// server is one running auth-service process on its own database.
type server struct {
	t       *testing.T
	base    string
	keyFile string
	cmd     *exec.Cmd
	logs    *syncBuffer
	done    chan error
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs `auth-service serve` against a fresh database with
// fast hashing; extra holds additional VAR=value settings.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	return startServerOn(t, testdb.New(t), extra...)
}

func startServerOn(t *testing.T, dbURL string, extra ...string) *server {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	s := &server{
		t:       t,
		base:    fmt.Sprintf("http://127.0.0.1:%d", port),
		keyFile: filepath.Join(dir, "jwt.pem"),
		logs:    &syncBuffer{},
		done:    make(chan error, 1),
	}
	s.cmd = exec.Command(binary, "--env-file", filepath.Join(dir, "none.env"), "serve")
	s.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + dbURL,
		fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", port),
		"APP_ENV=development",
		"JWT_DEV_KEY_FILE=" + s.keyFile,
		"ARGON2_MEMORY_KIB=64",
		"ARGON2_ITERATIONS=1",
		"MAIL_DIR=" + filepath.Join(dir, "mail"),
		"BACKUP_DIR=" + filepath.Join(dir, "backups"),
		"LOG_LEVEL=debug",
	}, extra...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	require.NoError(t, s.cmd.Start())
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.String())
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("server exited early: %v\n%s", err, s.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after 30s:\n%s", s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() error {
	if s.cmd.ProcessState != nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		return fmt.Errorf("server did not stop within 20s")
	}
}

// response is what a call returned, with the body decoded when JSON.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

func (r response) str(key string) string {
	v, _ := r.JSON[key].(string)
	return v
}

// call sends body (marshalled to JSON unless it is a []byte or string)
// with the given bearer token ("" for none).
func (s *server) call(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rdr = bytes.NewReader(b)
	case string:
		rdr = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(s.t, err)
		rdr = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rdr)
	require.NoError(s.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}

type creds struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

const goodPassword = "correct horse battery staple"

// register creates an account and fails the test unless it gets 201.
func (s *server) register(email string) {
	s.t.Helper()
	r := s.call("POST", "/v1/auth/register", "", creds{email, goodPassword})
	require.Equal(s.t, http.StatusCreated, r.Status, string(r.Raw))
}

// login returns a fresh access and refresh token.
func (s *server) login(email string) (access, refresh string) {
	s.t.Helper()
	r := s.call("POST", "/v1/auth/login", "", creds{email, goodPassword})
	require.Equal(s.t, http.StatusOK, r.Status, string(r.Raw))
	return r.str("access_token"), r.str("refresh_token")
}
