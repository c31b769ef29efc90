package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// run executes the command line args and returns what it wrote.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRoot(&out, &errOut)
	root.SetArgs(args)
	err = root.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

func TestHelpListsCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "root", args: []string{"--help"}, want: []string{"serve", "migrate", "--env-file", ".env.example"}},
		{name: "root short flag", args: []string{"-h"}, want: []string{"serve", "migrate"}},
		{name: "help command", args: []string{"help"}, want: []string{"serve", "migrate"}},
		{name: "migrate", args: []string{"migrate", "--help"}, want: []string{"up", "down", "status"}},
		{name: "migrate without subcommand", args: []string{"migrate"}, want: []string{"up", "down", "status"}},
		{name: "serve", args: []string{"serve", "--help"}, want: []string{"serve", "--env-file", "HTTP_ADDR", ".env.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := run(t, tt.args...)

			require.NoError(t, err)
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	flag, _, err := run(t, "--version")
	require.NoError(t, err)
	assert.Contains(t, flag, version)
	assert.Contains(t, flag, commit)
	assert.True(t, strings.HasPrefix(flag, "auth-service "), flag)

	cmd, _, err := run(t, "version")
	require.NoError(t, err)
	assert.Equal(t, flag, cmd, "the flag and the command print the same line")
}

// badEnvFile writes a .env file that config.Load refuses and makes sure the
// real environment does not override it.
func badEnvFile(t *testing.T) string {
	t.Helper()
	t.Setenv("ACCESS_TOKEN_TTL", "")
	require.NoError(t, os.Unsetenv("ACCESS_TOKEN_TTL"))
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(path, []byte("ACCESS_TOKEN_TTL=banana\n"), 0o600))
	return path
}

// The commands load the configuration before InitializeApp or
// InitializeMigrator opens the database, so a bad value fails fast with
// no database at all.
func TestBadConfigurationFailsBeforeConnecting(t *testing.T) {
	path := badEnvFile(t)
	tests := []struct {
		name string
		args []string
	}{
		{name: "serve", args: []string{"serve", "--env-file", path}},
		{name: "flag before command", args: []string{"--env-file", path, "serve"}},
		{name: "migrate up", args: []string{"migrate", "up", "--env-file", path}},
		{name: "migrate down", args: []string{"migrate", "down", "--env-file", path}},
		{name: "migrate status", args: []string{"migrate", "status", "--env-file", path}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(t, tt.args...)

			require.Error(t, err)
			assert.Contains(t, err.Error(), "ACCESS_TOKEN_TTL")
			assert.Contains(t, err.Error(), "configuration")
		})
	}
}

func TestUnparsableEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(path, []byte("KEY=\"unterminated\n"), 0o600))

	_, _, err := run(t, "serve", "--env-file", path)

	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, want: "unknown command"},
		{name: "argument to serve", args: []string{"serve", "extra"}, want: "extra"},
		{name: "unknown flag", args: []string{"--frobnicate"}, want: "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(t, tt.args...)

			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestLogWriter(t *testing.T) {
	var buf bytes.Buffer
	w := logWriter{slog.New(slog.NewJSONHandler(&buf, nil))}
	in := "OK   00001_init.sql\n\n  OK   00002_more.sql  \n"

	n, err := w.Write([]byte(in))

	require.NoError(t, err)
	assert.Equal(t, len(in), n)
	var steps []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Msg  string `json:"msg"`
			Step string `json:"step"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		assert.Equal(t, "migrate", rec.Msg)
		steps = append(steps, rec.Step)
	}
	assert.Equal(t, []string{"OK   00001_init.sql", "  OK   00002_more.sql"}, steps)
}

// A mistyped migrate subcommand must fail so that a deploy script running
// "auth-service migrate upp && ..." stops. The migrate group has no RunE,
// so cobra prints its help and returns nil (spf13/cobra#706); this test
// fails until migrateCmd rejects stray arguments.
func TestMigrateUnknownSubcommandErrors(t *testing.T) {
	for _, sub := range []string{"upp", "sideways", "rollback"} {
		t.Run(sub, func(t *testing.T) {
			_, _, err := run(t, "migrate", sub)

			require.Error(t, err)
			assert.Contains(t, err.Error(), sub)
		})
	}
}

// A taken port must stop serve at once with the variable named, not leave
// a process that logged "serving" and listens nowhere. The address is bound
// before the database is opened, so no database is needed here; the
// DATABASE_URL points at a closed port to prove it is never reached.
func TestServeOnATakenPortFailsAtOnce(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	t.Setenv("HTTP_ADDR", taken.Addr().String())
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	t.Setenv("APP_ENV", "development")
	t.Setenv("JWT_DEV_KEY_FILE", filepath.Join(t.TempDir(), "jwt.pem"))

	done := make(chan error, 1)
	go func() {
		_, _, err := run(t, "serve", "--env-file", filepath.Join(t.TempDir(), "none.env"))
		done <- err
	}()

	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "HTTP_ADDR")
		assert.Contains(t, err.Error(), "address already in use")
	case <-time.After(10 * time.Second):
		t.Fatal("serve still running 10s after its address was found taken")
	}
}
