package pgdump

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/ports"
)

// hardPassword holds every character that needs care in a URL or a shell.
const hardPassword = `p@ss:w/rd#50% 'q" x`

// fakeTools writes shell scripts standing in for the PostgreSQL tools
// into a fresh directory and returns it.
func fakeTools(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	defaults := map[string]string{
		toolDump: `case " $* " in *" --version "*)
  echo "pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)"; exit 0;; esac
printf '%s\n' '-- fake' '-- PostgreSQL database dump complete' '--'`,
		toolRestore: `case "$1" in --list) echo '214; 1259 27000 TABLE public t o';; esac
cat >/dev/null`,
		toolPsql: `cat >/dev/null`,
	}
	for name, body := range defaults {
		if s, ok := scripts[name]; ok {
			body = s
		}
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	}
	return dir
}

// recorder captures the command lines and environments of the tools run.
type recorder struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
}

func (r *recorder) wrap(tools *Tools) {
	next := tools.start
	tools.start = func(c *exec.Cmd) error {
		r.mu.Lock()
		r.cmds = append(r.cmds, c)
		r.mu.Unlock()
		return next(c)
	}
}

func hardURL() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword("backup user", hardPassword),
		Host:     "127.0.0.1:1", // nothing listens: connecting fails at once
		Path:     "/auth_db",
		RawQuery: "sslmode=require",
	}
	return u.String()
}

func newFake(t *testing.T, scripts map[string]string) *Tools {
	t.Helper()
	tools, err := New(Config{URL: hardURL(), BinDir: fakeTools(t, scripts)}, nil)
	require.NoError(t, err)
	return tools
}

const plainDump = "--\n-- PostgreSQL database dump\n--\n\nSELECT 1;\n\n" +
	"--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc123\n\n"

func TestParseURL(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		flags     []string
		password  string
		env       []string
		ignored   []string
		wantError bool
	}{
		{
			name:     "full",
			url:      "postgres://u:pw@db.example:5433/auth_db?sslmode=require",
			flags:    []string{"-h", "db.example", "-p", "5433", "-U", "u", "-d", "auth_db"},
			password: "pw",
			env:      []string{"PGSSLMODE=require"},
		},
		{
			name:     "hard password, escaped",
			url:      hardURL(),
			flags:    []string{"-h", "127.0.0.1", "-p", "1", "-U", "backup user", "-d", "auth_db"},
			password: hardPassword,
			env:      []string{"PGSSLMODE=require"},
		},
		{
			name: "hard password, every character percent-encoded",
			url: "postgresql://usuario:p%40ss%3Aw%2Frd%2350%25%20%27q%22%20x@127.0.0.1/auth_db" +
				"?sslmode=disable",
			flags:    []string{"-h", "127.0.0.1", "-U", "usuario", "-d", "auth_db"},
			password: hardPassword,
			env:      []string{"PGSSLMODE=disable"},
		},
		{
			name:  "socket directory in the query",
			url:   "postgres:///auth_db?host=/var/run/postgresql&user=me",
			flags: []string{"-h", "/var/run/postgresql", "-U", "me", "-d", "auth_db"},
		},
		{
			name:  "IPv6",
			url:   "postgresql://u@[::1]:5432/db",
			flags: []string{"-h", "::1", "-p", "5432", "-U", "u", "-d", "db"},
		},
		{
			name:  "several hosts",
			url:   "postgres://u@a:5432,b:5433/db",
			flags: []string{"-h", "a,b", "-p", "5432,5433", "-U", "u", "-d", "db"},
		},
		{
			name:  "database name that looks like a connection string",
			url:   "postgres://u@h/we%3Dird",
			flags: []string{"-h", "h", "-U", "u", "-d", "dbname='we=ird'"},
		},
		{
			name:    "other parameters",
			url:     "postgres://u@h/db?connect_timeout=3&application_name=x&search_path=s",
			flags:   []string{"-h", "h", "-U", "u", "-d", "db"},
			env:     []string{"PGCONNECT_TIMEOUT=3"},
			ignored: []string{"search_path"},
		},
		{name: "key=value DSN", url: "host=h dbname=db password=secret", wantError: true},
		{name: "other scheme", url: "mysql://u:secret@h/db", wantError: true},
		{name: "bad escape in password", url: "postgres://u:se%zzcret@h/db", wantError: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseURL(tc.url)
			if tc.wantError {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), "secret")
				assert.NotContains(t, err.Error(), "se%zz")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.flags, c.flags())
			assert.Equal(t, tc.password, c.password)
			assert.Equal(t, tc.env, c.env)
			assert.Equal(t, tc.ignored, c.ignored)
		})
	}
}

func TestEnvironIsMinimal(t *testing.T) {
	t.Setenv("PGHOST", "leak.example")
	t.Setenv("PGDATABASE", "leak")
	t.Setenv("PGPASSWORD", "stray")
	t.Setenv("PGSERVICE", "leak")
	c, err := parseURL(hardURL())
	require.NoError(t, err)

	env := c.environ(true)
	assert.Contains(t, env, "LANG=C.UTF-8")
	assert.Contains(t, env, "PGCONNECT_TIMEOUT=10")
	assert.Contains(t, env, "PGAPPNAME=auth-service-backup")
	assert.Contains(t, env, "PGSSLMODE=require")
	assert.Contains(t, env, "PGPASSWORD="+hardPassword)
	for _, kv := range env {
		assert.NotContains(t, kv, "leak")
		assert.NotEqual(t, "PGPASSWORD=stray", kv)
	}
	for _, kv := range c.environ(false) {
		assert.False(t, strings.HasPrefix(kv, "PGPASSWORD="),
			"password given to a tool that does not connect")
	}
}

func TestPasswordNeverOnCommandLine(t *testing.T) {
	t.Setenv("PGPASSWORD", "stray")
	tools := newFake(t, nil)
	var rec recorder
	rec.wrap(tools)
	ctx := t.Context()

	for _, f := range []ports.DumpFormat{ports.FormatCustom, ports.FormatPlain} {
		var out bytes.Buffer
		require.NoError(t, tools.Dump(ctx, f, &out), f)
	}
	require.NoError(t, tools.Verify(ctx, ports.FormatCustom, strings.NewReader("PGDMP fake")))
	require.NoError(t, tools.Restore(ctx, ports.FormatCustom, strings.NewReader("PGDMP fake")))
	require.NoError(t, tools.Restore(ctx, ports.FormatPlain, strings.NewReader(plainDump)))
	_, _, _ = tools.Versions(ctx) // the server part fails: there is none

	require.Len(t, rec.cmds, 7)
	forms := secrets(hardPassword, hardURL())
	require.GreaterOrEqual(t, len(forms), 3)
	for _, c := range rec.cmds {
		line := strings.Join(c.Args, " ")
		for _, f := range forms {
			assert.NotContains(t, line, f, "password on the command line of %s", c.Path)
		}
		connects := slicesContains(c.Args, "-d")
		var pw []string
		for _, kv := range c.Env {
			if v, ok := strings.CutPrefix(kv, "PGPASSWORD="); ok {
				pw = append(pw, v)
			}
		}
		if connects {
			assert.Equal(t, []string{hardPassword}, pw, line)
			assert.Contains(t, c.Args, "--no-password", line)
		} else {
			assert.Empty(t, pw, line)
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestToolArguments(t *testing.T) {
	tools := newFake(t, nil)
	var rec recorder
	rec.wrap(tools)
	ctx := t.Context()
	conn := []string{"-h", "127.0.0.1", "-p", "1", "-U", "backup user", "-d", "auth_db"}

	require.NoError(t, tools.Dump(ctx, ports.FormatCustom, io.Discard))
	require.NoError(t, tools.Dump(ctx, ports.FormatPlain, io.Discard))
	require.NoError(t, tools.Restore(ctx, ports.FormatCustom, strings.NewReader("PGDMP")))
	require.NoError(t, tools.Restore(ctx, ports.FormatPlain, strings.NewReader(plainDump)))

	want := [][]string{
		append([]string{"--no-owner", "--no-privileges", "--no-password", "--format=custom"}, conn...),
		append([]string{"--no-owner", "--no-privileges", "--no-password", "--format=plain",
			"--clean", "--if-exists"}, conn...),
		append([]string{"--clean", "--if-exists", "--single-transaction", "--exit-on-error",
			"--no-owner", "--no-privileges", "--no-password"}, conn...),
		append([]string{"--single-transaction", "-v", "ON_ERROR_STOP=1", "-X", "-q",
			"--no-password", "-f", "-"}, conn...),
	}
	require.Len(t, rec.cmds, len(want))
	for i, c := range rec.cmds {
		assert.Equal(t, want[i], c.Args[1:])
	}
}

func TestErrorsRedactPassword(t *testing.T) {
	tools := newFake(t, map[string]string{
		toolDump: `echo "pg_dump: error: connection failed" >&2
echo "pg_dump: detail: the password was $PGPASSWORD, really" >&2
exit 1`,
	})
	err := tools.Dump(t.Context(), ports.FormatCustom, io.Discard)
	require.Error(t, err)

	var te *ToolError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "pg_dump", te.Tool)
	assert.Contains(t, err.Error(), "pg_dump: error: connection failed")
	assert.Contains(t, err.Error(), "the password was ***, really")
	assert.NotContains(t, err.Error(), hardPassword)
	assert.NotContains(t, te.Stderr, hardPassword)
}

func TestRedact(t *testing.T) {
	forms := secrets(hardPassword, hardURL())
	tests := []struct{ name, in string }{
		{"raw", "auth failed: " + hardPassword},
		{"query-escaped", "dsn password=" + url.QueryEscape(hardPassword)},
		{"path-escaped", "x/" + url.PathEscape(hardPassword)},
		{"as in the URL", "url " + hardURL()},
		{"twice", hardPassword + " and " + hardPassword},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := redact(tc.in, forms)
			assert.Contains(t, out, "***")
			for _, f := range forms {
				assert.NotContains(t, out, f)
			}
		})
	}
	assert.Equal(t, "no secret here", redact("no secret here", secrets("", "postgres://u@h/db")))
}

func TestParseToolMajor(t *testing.T) {
	tests := []struct {
		out  string
		want int
	}{
		{"pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)\n", 15},
		{"pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)", 15},
		{"pg_dump (PostgreSQL) 14.1 (Ubuntu 14.1-1.pgdg20.04+1)", 14},
		{"pg_dump (PostgreSQL) 16devel", 16},
		{"pg_dump (PostgreSQL) 17beta1", 17},
		{"pg_dump (PostgreSQL) 18rc1", 18},
		{"pg_dump (PostgreSQL) 9.6.24", 9},
		{"pg_dump 13.4", 13},
	}
	for _, tc := range tests {
		t.Run(tc.out, func(t *testing.T) {
			got, err := parseToolMajor(tc.out)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []string{"", "pg_dump (PostgreSQL) devel", "command not found"} {
		_, err := parseToolMajor(bad)
		assert.Error(t, err, bad)
	}
}

func TestCheckVersions(t *testing.T) {
	tests := []struct {
		name         string
		tool, server int
		wantErr      string
	}{
		{"same", 15, 15, ""},
		{"newer tool", 17, 15, ""},
		{
			"older tool", 14, 15,
			"pg_dump 14 is older than the PostgreSQL 15 server; install postgresql-client-15",
		},
		{"unknown", 0, 15, "unknown PostgreSQL version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckVersions(tc.tool, tc.server)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
	var ve *VersionError
	require.ErrorAs(t, CheckVersions(14, 16), &ve)
	assert.Equal(t, VersionError{Tool: 14, Server: 16}, *ve)
}

func TestVersionsToolPart(t *testing.T) {
	tools := newFake(t, nil)
	_, _, err := tools.Versions(t.Context())
	// No server at 127.0.0.1:1: the error is the database's, redacted.
	require.Error(t, err)
	var te *ToolError
	assert.False(t, errors.As(err, &te), "pg_dump --version failed: %v", err)
	assert.Contains(t, err.Error(), "ask the server's version")
	assert.NotContains(t, err.Error(), hardPassword)
	assert.NotContains(t, err.Error(), url.QueryEscape(hardPassword))
}

func TestFinder(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, names ...string) {
		require.NoError(t, os.MkdirAll(filepath.Join(root, dir), 0o755))
		for _, n := range names {
			require.NoError(t, os.WriteFile(filepath.Join(root, dir, n), []byte("#!/bin/sh\n"), 0o755))
		}
	}
	mk("pg/9.6/bin", "pg_dump", "pg_restore", "psql")
	mk("pg/15/bin", "pg_dump", "pg_restore", "psql")
	mk("pg/16/bin", "psql")
	mk("pg/devel/bin", "pg_dump")
	mk("config", "pg_restore")
	mk("only", "pg_dump")
	notFound := func(string) (string, error) { return "", exec.ErrNotFound }
	noConfig := func() (string, error) { return "", exec.ErrNotFound }

	t.Run("newest Debian dir holding the tool", func(t *testing.T) {
		f := &finder{lookPath: notFound, pgConfig: noConfig, debianGlob: filepath.Join(root, "pg/*/bin")}
		got, err := f.find(toolDump, toolRestore, toolPsql)
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(root, "pg/15/bin/pg_dump"), got[toolDump])
		assert.Equal(t, filepath.Join(root, "pg/15/bin/pg_restore"), got[toolRestore])
		assert.Equal(t, filepath.Join(root, "pg/16/bin/psql"), got[toolPsql])
	})
	t.Run("pg_config before Debian dirs", func(t *testing.T) {
		cfg := func() (string, error) { return filepath.Join(root, "config"), nil }
		f := &finder{lookPath: notFound, pgConfig: cfg, debianGlob: filepath.Join(root, "pg/*/bin")}
		got, err := f.find(toolRestore)
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(root, "config/pg_restore"), got[toolRestore])
	})
	t.Run("PATH first", func(t *testing.T) {
		path := func(n string) (string, error) { return "/on/path/" + n, nil }
		f := &finder{lookPath: path, pgConfig: noConfig, debianGlob: filepath.Join(root, "pg/*/bin")}
		got, err := f.find(toolDump)
		require.NoError(t, err)
		assert.Equal(t, "/on/path/pg_dump", got[toolDump])
	})
	t.Run("BinDir only", func(t *testing.T) {
		path := func(n string) (string, error) { return "/on/path/" + n, nil }
		f := &finder{binDir: filepath.Join(root, "only"), lookPath: path, pgConfig: noConfig}
		_, err := f.find(toolDump, toolRestore, toolPsql)
		require.ErrorIs(t, err, ErrToolNotFound)
		assert.Contains(t, err.Error(), "pg_restore, psql")
		assert.NotContains(t, err.Error(), "pg_dump,")
		assert.Contains(t, err.Error(), "apt-get install postgresql-client")
	})
	t.Run("nowhere", func(t *testing.T) {
		f := &finder{
			lookPath: notFound, pgConfig: noConfig, debianGlob: filepath.Join(root, "none/*/bin"),
		}
		_, err := f.find(toolDump)
		require.ErrorIs(t, err, ErrToolNotFound)
		assert.Contains(t, err.Error(), "pg_dump")
		assert.Contains(t, err.Error(), "apt-get install postgresql-client")
	})
}

func TestNewRejects(t *testing.T) {
	bin := fakeTools(t, nil)
	_, err := New(Config{URL: "postgres://u:secret@h/", BinDir: bin}, nil)
	assert.ErrorContains(t, err, "names no database")
	_, err = New(Config{URL: "", BinDir: bin}, nil)
	assert.ErrorContains(t, err, "postgres://")
	_, err = New(Config{URL: "postgres://u@h/db", BinDir: t.TempDir()}, nil)
	assert.ErrorIs(t, err, ErrToolNotFound)
}

func TestVerifyPlain(t *testing.T) {
	tools := newFake(t, nil)
	big := "--\n-- PostgreSQL database dump\n--\n" +
		strings.Repeat("INSERT INTO t VALUES (1);\n", 5000) +
		"\n--\n-- PostgreSQL database dump complete\n--\n"
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"whole, with unrestrict", plainDump, nil},
		{"whole, old style", "SELECT 1;\n--\n-- PostgreSQL database dump complete\n--\n", nil},
		{"marker last, no newline", "SELECT 1;\n-- PostgreSQL database dump complete", nil},
		{"large", big, nil},
		{"empty", "", ErrEmptyDump},
		{"blank", " \n\n\t\n", ErrEmptyDump},
		{"no marker", "--\n-- PostgreSQL database dump\n--\nSELECT 1;\n", ErrTruncatedDump},
		{"cut inside the marker", "SELECT 1;\n--\n-- PostgreSQL database dump comp", ErrTruncatedDump},
		{
			"statement after the marker",
			"-- PostgreSQL database dump complete\n--\nDROP TABLE t;\n", ErrTruncatedDump,
		},
		{
			"marker not at line start",
			"SELECT '-- PostgreSQL database dump complete';\n", ErrTruncatedDump,
		},
		{"NUL byte", "SELECT 1;\x00\n-- PostgreSQL database dump complete\n", ErrNotPlainSQL},
		{"custom archive", "PGDMP\x01\x0e\x00", ErrNotPlainSQL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// HalfReader splits the input, as a file read in pieces would.
			err := tools.Verify(t.Context(), ports.FormatPlain, iotest.HalfReader(strings.NewReader(tc.in)))
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
	verify := func(in string) error {
		return tools.Verify(t.Context(), ports.FormatPlain, strings.NewReader(in))
	}
	assert.ErrorContains(t, verify(""), "dump is empty")
	assert.ErrorContains(t, verify("SELECT 1;"), "dump is truncated: no completion marker")
}

func TestVerifyCustomWithFakes(t *testing.T) {
	t.Run("empty input", func(t *testing.T) {
		tools := newFake(t, nil)
		err := tools.Verify(t.Context(), ports.FormatCustom, strings.NewReader(""))
		assert.ErrorIs(t, err, ErrEmptyDump)
	})
	t.Run("listing without entries", func(t *testing.T) {
		tools := newFake(t, map[string]string{toolRestore: `case "$1" in --list)
  printf ';\n; Archive created at 2026-01-01\n;\n\n';; esac
cat >/dev/null`})
		err := tools.Verify(t.Context(), ports.FormatCustom, strings.NewReader("PGDMP"))
		assert.ErrorIs(t, err, ErrEmptyDump)
	})
	t.Run("full read fails after a good listing", func(t *testing.T) {
		tools := newFake(t, map[string]string{toolRestore: `case "$1" in
  --list) echo '214; 1259 27000 TABLE public t o'; exit 0;;
esac
cat >/dev/null
echo "pg_restore: error: could not read from input file: end of file" >&2
exit 1`})
		in := strings.NewReader(strings.Repeat("PGDMP", 100000))
		err := tools.Verify(t.Context(), ports.FormatCustom, in)
		var te *ToolError
		require.ErrorAs(t, err, &te)
		assert.Contains(t, err.Error(), "end of file")
	})
}

func TestRestorePlainNeverCommitsBadInput(t *testing.T) {
	dir := t.TempDir()
	committed := filepath.Join(dir, "committed")
	// Shell builtins only, so killing the script stops it at once; it
	// "commits" only after reading to the end of its input.
	script := `while IFS= read -r line; do :; done
echo yes > '` + committed + `'`

	tests := []struct {
		name string
		in   string
		want error
	}{
		{"truncated", "SELECT 1;\nSELECT 2;\n", ErrTruncatedDump},
		{"empty", "", ErrEmptyDump},
		{"NUL byte", "SELECT 1;\x00\n-- PostgreSQL database dump complete\n", ErrNotPlainSQL},
		{"custom archive", "PGDMP\x01\x0e\x00", ErrNotPlainSQL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tools := newFake(t, map[string]string{toolPsql: script})
			err := tools.Restore(t.Context(), ports.FormatPlain, strings.NewReader(tc.in))
			require.ErrorIs(t, err, tc.want)
			assert.NoFileExists(t, committed)
		})
	}

	tools := newFake(t, map[string]string{toolPsql: script})
	require.NoError(t, tools.Restore(t.Context(), ports.FormatPlain, strings.NewReader(plainDump)))
	assert.FileExists(t, committed)
}

func TestRestoreCustomEmpty(t *testing.T) {
	tools := newFake(t, nil)
	var rec recorder
	rec.wrap(tools)
	err := tools.Restore(t.Context(), ports.FormatCustom, strings.NewReader(""))
	assert.ErrorIs(t, err, ErrEmptyDump)
	assert.Empty(t, rec.cmds, "pg_restore ran on an empty input")
}

func TestRestorePlainReportsPsqlError(t *testing.T) {
	tools := newFake(t, map[string]string{toolPsql: `read -r line
echo 'psql:<stdin>:1: ERROR:  syntax error at or near "SELEC"' >&2
exit 3`})
	in := strings.Repeat("SELEC 1;\n", 200000) + "-- PostgreSQL database dump complete\n"
	err := tools.Restore(t.Context(), ports.FormatPlain, strings.NewReader(in))
	var te *ToolError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "psql", te.Tool)
	assert.Contains(t, err.Error(), "syntax error")
}

func TestDumpWriteError(t *testing.T) {
	tools := newFake(t, map[string]string{toolDump: `exec yes "SELECT 1;"`})
	boom := errors.New("disk full")
	err := tools.Dump(t.Context(), ports.FormatCustom, failingWriter{boom})
	assert.ErrorIs(t, err, boom)
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestCancelStopsTool(t *testing.T) {
	tools := newFake(t, map[string]string{toolDump: `exec sleep 30`})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()

	began := time.Now()
	err := tools.Dump(ctx, ports.FormatCustom, io.Discard)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(began), 5*time.Second)
}

func TestUnknownFormat(t *testing.T) {
	tools := newFake(t, nil)
	ctx, in := t.Context(), strings.NewReader("x")
	assert.ErrorContains(t, tools.Dump(ctx, "tar", io.Discard), "unknown dump format")
	assert.ErrorContains(t, tools.Verify(ctx, "tar", in), "unknown dump format")
	assert.ErrorContains(t, tools.Restore(ctx, "tar", in), "unknown dump format")
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(16)
	_, _ = b.Write([]byte("short\n"))
	assert.Equal(t, "short\n", b.String())

	b = newTailBuffer(16)
	_, _ = b.Write([]byte("secret-fragment\nline two\n"))
	assert.Equal(t, "[...] line two\n", b.String())

	b = newTailBuffer(16)
	for range 100 {
		_, _ = b.Write([]byte("abc\n"))
	}
	assert.LessOrEqual(t, len(b.buf), 16)
	assert.True(t, strings.HasPrefix(b.String(), "[...] abc\n"))
}

func TestLineCounter(t *testing.T) {
	var c lineCounter
	listing := ";\n; Archive created at 2026-12-03\n;\n\n214; 1259 27000 TABLE public t postgres\n" +
		"3340; 0 27000 TABLE DATA public t postgres\n  \n;3197; commented out\n"
	for _, chunk := range strings.SplitAfter(listing, "4") {
		_, _ = c.Write([]byte(chunk))
	}
	assert.Equal(t, 2, c.entries)
}

func TestFanOutSurvivesEarlyExit(t *testing.T) {
	early := &stopAfter{limit: 10}
	var all bytes.Buffer
	data := strings.Repeat("x", 300000)
	err := fanOut(strings.NewReader(data), early, nopCloser{&all})
	require.NoError(t, err)
	assert.Equal(t, data, all.String())
	assert.True(t, early.closed)
}

type stopAfter struct {
	limit, n int
	closed   bool
}

func (s *stopAfter) Write(p []byte) (int, error) {
	if s.n >= s.limit {
		return 0, io.ErrClosedPipe
	}
	s.n += len(p)
	return len(p), nil
}

func (s *stopAfter) Close() error { s.closed = true; return nil }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// A tool's message keeps its meaning but not the rows it quotes, nor the
// connection's secrets.
func TestScrubLeavesRowDataOut(t *testing.T) {
	tools := &Tools{secrets: []string{"s3cr3t"}}
	in := strings.Join([]string{
		`pg_restore: error: could not execute query: ERROR:  invalid input syntax for type uuid: "x"`,
		`CONTEXT:  COPY users, line 1: "6a76335a-0000 root@example.com Root $argon2id$v=19$m=19456,t=2,p=1$abc"`,
		`CONTEXT:  COPY users, line 3, column email: "ana@example.com"`,
		`DETAIL:  Key (email_key)=(ana@example.com) already exists.`,
		`DETAIL:  Failing row contains (1, ana@example.com, $argon2id$v=19$x).`,
		`psql: connection to server failed: password s3cr3t rejected`,
		`Command was: INSERT INTO public.users VALUES ('57a2', 'u4@example.com', '$argon2id$v=19$m=19456$JYj2');`,
		`LINE 1: INSERT INTO users VALUES ('x', 'ana@example.com', '$argon2id...`,
	}, "\n")

	out := tools.scrub(in)

	for _, leak := range []string{"root@example.com", "ana@example.com", "argon2id", "s3cr3t"} {
		assert.NotContains(t, out, leak)
	}
	for _, kept := range []string{"invalid input syntax for type uuid", "COPY users, line 1",
		"COPY users, line 3, column email", "Key (email_key)=", "already exists", "Failing row contains",
		"password *** rejected", "Command was: (left out)", "LINE 1: (left out)"} {
		assert.Contains(t, out, kept)
	}
}
