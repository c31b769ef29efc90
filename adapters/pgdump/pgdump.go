// Package pgdump dumps, verifies and restores the database with pg_dump, pg_restore and psql.
package pgdump

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq" // the postgres driver, for Versions

	"auth-service/ports"
)

// The client tools, by the names they have on disk.
const (
	toolDump    = "pg_dump"
	toolRestore = "pg_restore"
	toolPsql    = "psql"
)

const (
	// stderrMax bounds how much of a tool's stderr is kept for its error.
	stderrMax = 64 << 10
	// waitDelay is how long a stopped tool gets to close its pipes.
	waitDelay = 5 * time.Second
)

// Config says which database to dump and where the tools are.
type Config struct {
	// URL is the libpq URL of the database (postgres://user:pass@host:port/db?sslmode=...).
	// The password may hold any character, percent-encoded.
	URL string
	// BinDir, when set, is the only directory searched for pg_dump,
	// pg_restore and psql.
	BinDir string
	// RequireTable, when set ("public.users"), makes Verify and Restore
	// refuse a dump that does not create that table: a dump of another
	// database would otherwise restore "successfully" beside this one.
	RequireTable string
}

// Tools runs pg_dump, pg_restore and psql against one database. The
// password reaches them only through their environment (PGPASSWORD), never
// their command line, and is replaced by "***" in every error.
//
// Dumps are taken with --no-owner --no-privileges, so they restore into a
// database owned by any role: a plain dump carries no ALTER OWNER or GRANT
// statements, and Restore ignores the owners a custom archive still records
// (pg_dump always keeps them in archives).
type Tools struct {
	url     string
	conn    conn
	secrets []string
	paths   map[string]string
	log     *slog.Logger
	require string // a table every dump must create, or ""

	// start starts a tool; tests wrap it to see the command lines.
	start func(*exec.Cmd) error
}

var _ ports.Dumper = (*Tools)(nil)

// New finds the tools and takes cfg.URL apart. It fails, naming them, when
// a tool is missing (wrapping ErrToolNotFound), and when the URL is not a
// postgres:// URL naming a database; it neither runs the tools nor
// connects. A nil log discards.
func New(cfg Config, log *slog.Logger) (*Tools, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := parseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("pgdump: %w", err)
	}
	if c.dbname == "" {
		return nil, errors.New("pgdump: database URL names no database")
	}
	paths, err := newFinder(cfg.BinDir).find(toolDump, toolRestore, toolPsql)
	if err != nil {
		return nil, fmt.Errorf("pgdump: %w", err)
	}

	if len(c.ignored) > 0 {
		log.Warn("database URL parameters not passed to pg_dump, pg_restore and psql",
			"keys", c.ignored)
	}
	log.Debug("PostgreSQL client tools",
		toolDump, paths[toolDump], toolRestore, paths[toolRestore], toolPsql, paths[toolPsql])
	return &Tools{
		url:     cfg.URL,
		conn:    c,
		secrets: secrets(c.password, cfg.URL),
		paths:   paths,
		log:     log,
		require: strings.ToLower(cfg.RequireTable),
		start:   func(cmd *exec.Cmd) error { return cmd.Start() },
	}, nil
}

// ToolError is the error of a tool that failed or could not start.
type ToolError struct {
	// Tool is the tool's name, such as "pg_dump".
	Tool string
	// Stderr is the end of what the tool wrote to stderr, with the
	// password replaced by "***".
	Stderr string
	// Err is the cause: the exit status, or the context's error when the
	// tool was stopped.
	Err error
}

// Error is the tool's name, the cause and its stderr on one line.
func (e *ToolError) Error() string {
	msg := e.Tool + ": " + e.Err.Error()
	var lines []string
	for l := range strings.SplitSeq(e.Stderr, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 0 {
		msg += ": " + strings.Join(lines, "; ")
	}
	return msg
}

// Unwrap returns Err.
func (e *ToolError) Unwrap() error { return e.Err }

// Dump writes a dump of the whole database in format to w, by pg_dump
// --format=custom or --format=plain; a plain dump also drops each object
// before creating it (--clean --if-exists), so psql can replay it over the
// existing database. Errors: a *ToolError carrying pg_dump's stderr, the
// error of w, or an unknown format.
func (t *Tools) Dump(ctx context.Context, format ports.DumpFormat, w io.Writer) error {
	args := []string{"--no-owner", "--no-privileges", "--no-password"}
	switch format {
	case ports.FormatCustom:
		args = append(args, "--format=custom")
	case ports.FormatPlain:
		args = append(args, "--format=plain", "--clean", "--if-exists")
	default:
		return unknownFormat(format)
	}

	began := time.Now()
	p := t.command(ctx, toolDump, args, true)
	out := &recordingWriter{w: w}
	p.cmd.Stdout = out
	if err := t.run(ctx, p); err != nil {
		if out.err != nil {
			return fmt.Errorf("write dump: %w", out.err)
		}
		return err
	}
	t.log.Debug("dump written", "format", format, "bytes", out.n, "duration", time.Since(began))
	return nil
}

// Verify reads a whole dump from r and fails unless it is readable in
// format. A custom archive must list its table of contents (`pg_restore
// --list`, which must list at least one entry) and every data block must
// read back (`pg_restore --file=/dev/null`, fed the same bytes; --list alone
// reads only the table of contents and misses an archive cut short). A
// plain dump must be non-empty text without NUL bytes ending with pg_dump's
// completion marker. Errors: ErrEmptyDump, ErrTruncatedDump,
// ErrNotPlainSQL, a *ToolError, or the error of r.
func (t *Tools) Verify(ctx context.Context, format ports.DumpFormat, r io.Reader) error {
	switch format {
	case ports.FormatCustom:
		return t.verifyCustom(ctx, r)
	case ports.FormatPlain:
		chk := plainCheck{require: t.require}
		if _, err := io.Copy(&chk, ctxReader{ctx, r}); err != nil {
			return fmt.Errorf("verify plain dump: %w", err)
		}
		if err := chk.result(); err != nil {
			return fmt.Errorf("verify plain dump: %w", err)
		}
		return nil
	default:
		return unknownFormat(format)
	}
}

func (t *Tools) verifyCustom(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if err := notEmpty(br); err != nil {
		return fmt.Errorf("verify custom dump: %w", err)
	}

	list := t.command(ctx, toolRestore, []string{"--list"}, false)
	entries := lineCounter{require: t.require}
	list.cmd.Stdout = &entries
	listIn, err := list.cmd.StdinPipe()
	if err != nil {
		return err
	}
	// A failed start closes the command's pipes; Wait closes them after.
	if err := t.begin(ctx, list); err != nil {
		return err
	}
	full := t.command(ctx, toolRestore, []string{"--file=" + os.DevNull}, false)
	fullIn, err := full.cmd.StdinPipe()
	if err == nil {
		err = t.begin(ctx, full)
	}
	if err != nil {
		_ = list.cmd.Process.Kill()
		_ = list.cmd.Wait()
		return err
	}

	copyErr := fanOut(ctxReader{ctx, br}, listIn, fullIn)
	listErr := t.finish(ctx, list)
	fullErr := t.finish(ctx, full)
	switch {
	case copyErr != nil:
		return fmt.Errorf("read dump: %w", copyErr)
	case listErr != nil:
		return listErr
	case fullErr != nil:
		return fullErr
	case entries.entries == 0:
		return fmt.Errorf("verify custom dump: %w: its table of contents lists no entries", ErrEmptyDump)
	case t.require != "" && !entries.found:
		return fmt.Errorf("verify custom dump: %w: it creates no table %s", ErrOtherDatabase, t.require)
	}
	return nil
}

// Restore loads the dump read from r into the database in one
// transaction: a custom archive through `pg_restore --clean --if-exists
// --single-transaction --exit-on-error --no-owner --no-privileges`, a plain
// dump through `psql --single-transaction -v ON_ERROR_STOP=1`. Objects in
// the dump are dropped and recreated; others are left alone. A plain dump
// that turns out empty, truncated or not text is never committed: psql is
// stopped before it sees the end of its input. On any error the database is
// unchanged. Errors: ErrEmptyDump, ErrTruncatedDump, ErrNotPlainSQL, a
// *ToolError carrying the tool's stderr, or the error of r.
func (t *Tools) Restore(ctx context.Context, format ports.DumpFormat, r io.Reader) error {
	switch format {
	case ports.FormatCustom:
		return t.restoreCustom(ctx, r)
	case ports.FormatPlain:
		return t.restorePlain(ctx, r)
	default:
		return unknownFormat(format)
	}
}

func (t *Tools) restoreCustom(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if err := notEmpty(br); err != nil {
		return fmt.Errorf("restore custom dump: %w", err)
	}

	began := time.Now()
	p := t.command(ctx, toolRestore, []string{
		"--clean", "--if-exists", "--single-transaction", "--exit-on-error",
		"--no-owner", "--no-privileges", "--no-password",
	}, true)
	in := &recordingReader{r: ctxReader{ctx, br}}
	p.cmd.Stdin = in
	if err := t.run(ctx, p); err != nil {
		if in.err != nil {
			return fmt.Errorf("read dump: %w", in.err)
		}
		return err
	}
	t.log.Debug("custom dump restored", "bytes", in.n, "duration", time.Since(began))
	return nil
}

func (t *Tools) restorePlain(ctx context.Context, r io.Reader) error {
	began := time.Now()
	p := t.command(ctx, toolPsql, []string{
		"--single-transaction", "-v", "ON_ERROR_STOP=1", "-X", "-q", "--no-password",
		// psql wraps only -f and -c in the transaction: stdin is "-f -".
		"-f", "-",
	}, true)
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := t.begin(ctx, p); err != nil {
		return err
	}

	chk := plainCheck{require: t.require}
	in := &recordingWriter{w: stdin}
	// The check sees each chunk first, so a NUL byte never reaches psql.
	_, copyErr := io.Copy(io.MultiWriter(&chk, in), ctxReader{ctx, r})
	if in.err != nil {
		// psql stopped reading: it failed, and says why.
		if err := t.finish(ctx, p); err != nil {
			return err
		}
		return fmt.Errorf("psql stopped reading its input: %w", in.err)
	}
	if copyErr == nil {
		copyErr = chk.result()
	}
	if copyErr != nil {
		// psql has not seen the end of its input, so it has not committed;
		// stopping it now rolls everything back.
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		return fmt.Errorf("restore plain dump: %w; the database was not changed", copyErr)
	}
	if err := stdin.Close(); err != nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		return fmt.Errorf("restore plain dump: %w", err)
	}
	if err := t.finish(ctx, p); err != nil {
		return err
	}
	t.log.Debug("plain dump restored", "bytes", in.n, "duration", time.Since(began))
	return nil
}

// Versions returns the major version of pg_dump (from pg_dump --version)
// and of the server (SHOW server_version_num). Errors: a *ToolError, an
// unreadable version, or the database's error with the password removed.
func (t *Tools) Versions(ctx context.Context) (tool, server int, err error) {
	p := t.command(ctx, toolDump, []string{"--version"}, false)
	out := newTailBuffer(4 << 10)
	p.cmd.Stdout = out
	if err := t.run(ctx, p); err != nil {
		return 0, 0, err
	}
	if tool, err = parseToolMajor(out.String()); err != nil {
		return 0, 0, err
	}
	if server, err = t.serverMajor(ctx); err != nil {
		return 0, 0, err
	}
	return tool, server, nil
}

func (t *Tools) serverMajor(ctx context.Context) (int, error) {
	db, err := sql.Open("postgres", t.url)
	if err != nil {
		return 0, t.dbError("open database", err)
	}
	defer db.Close()
	var num string
	if err := db.QueryRowContext(ctx, "SHOW server_version_num").Scan(&num); err != nil {
		return 0, t.dbError("ask the server's version", err)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("server_version_num %q is no version", num)
	}
	return n / 10000, nil
}

// dbError wraps err, whose text could hold the URL, with the password
// removed from its message.
func (t *Tools) dbError(doing string, err error) error {
	return &redactedError{msg: doing + ": " + redact(err.Error(), t.secrets), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// proc is one run of a tool.
type proc struct {
	tool   string
	cmd    *exec.Cmd
	stderr *tailBuffer
}

// command prepares tool with args, followed by the connection flags when
// connect is set; its environment holds the password only then.
func (t *Tools) command(ctx context.Context, tool string, args []string, connect bool) *proc {
	if connect {
		args = append(args, t.conn.flags()...)
	}
	cmd := exec.CommandContext(ctx, t.paths[tool], args...)
	cmd.Env = t.conn.environ(connect)
	cmd.WaitDelay = waitDelay
	p := &proc{tool: tool, cmd: cmd, stderr: newTailBuffer(stderrMax)}
	cmd.Stderr = p.stderr
	return p
}

// run starts p and waits for it.
func (t *Tools) run(ctx context.Context, p *proc) error {
	if err := t.begin(ctx, p); err != nil {
		return err
	}
	return t.finish(ctx, p)
}

func (t *Tools) begin(ctx context.Context, p *proc) error {
	t.log.Debug("running PostgreSQL tool", "tool", p.tool, "args", p.cmd.Args[1:])
	if err := t.start(p.cmd); err != nil {
		return t.toolError(ctx, p, err)
	}
	return nil
}

// finish waits for p; its error is a *ToolError with p's stderr.
func (t *Tools) finish(ctx context.Context, p *proc) error {
	if err := p.cmd.Wait(); err != nil {
		return t.toolError(ctx, p, err)
	}
	if msg := strings.TrimSpace(p.stderr.String()); msg != "" {
		t.log.Warn("PostgreSQL tool succeeded with messages",
			"tool", p.tool, "stderr", t.scrub(msg))
	}
	return nil
}

func (t *Tools) toolError(ctx context.Context, p *proc, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		err = ctxErr
	}
	return &ToolError{
		Tool:   p.tool,
		Stderr: t.scrub(strings.TrimSpace(p.stderr.String())),
		Err:    err,
	}
}

// rowData matches where a tool quotes the data of a row in a message: a
// COPY line, a key's value, a failing row, the statement pg_restore ran
// ("Command was:", an INSERT of a --inserts dump) and psql's echo of the
// failing line ("LINE 3: ...").
var rowData = regexp.MustCompile(`(?m)(CONTEXT:\s+COPY [^,\n]+, line \d+(?:, column [^:\n]+)?): .*$` +
	`|(Key \([^)\n]*\)=)\(.*?\)( already exists| is not present| conflicts)` +
	`|(Failing row contains |Command was: |LINE \d+: ).*$`)

// scrub makes a tool's message safe to keep in logs: the connection's
// secrets become ***, and row data quoted by PostgreSQL (account emails,
// password hashes) is left out.
func (t *Tools) scrub(msg string) string {
	return rowData.ReplaceAllStringFunc(redact(msg, t.secrets), func(m string) string {
		sm := rowData.FindStringSubmatch(m)
		switch {
		case sm[1] != "":
			return sm[1] + ": (row data left out)"
		case sm[2] != "":
			return sm[2] + "(…)" + sm[3]
		default:
			return sm[4] + "(left out)"
		}
	})
}

// notEmpty fails with ErrEmptyDump when br has nothing to read.
func notEmpty(br *bufio.Reader) error {
	if _, err := br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return ErrEmptyDump
		}
		return fmt.Errorf("read dump: %w", err)
	}
	return nil
}

func unknownFormat(f ports.DumpFormat) error {
	return fmt.Errorf("pgdump: unknown dump format %q (want %q or %q)",
		f, ports.FormatCustom, ports.FormatPlain)
}

// recordingReader passes reads from r and remembers the first error other
// than io.EOF.
type recordingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && r.err == nil {
		r.err = err
	}
	return n, err
}
