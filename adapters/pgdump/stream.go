package pgdump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors of Verify and Restore about the dump itself, matched with
// errors.Is.
var (
	// ErrEmptyDump means the input holds nothing, or is a custom archive
	// whose table of contents lists nothing.
	ErrEmptyDump = errors.New("dump is empty")
	// ErrTruncatedDump means a plain dump does not end with pg_dump's
	// completion marker, so it was cut short.
	ErrTruncatedDump = errors.New("dump is truncated: no completion marker")
	// ErrNotPlainSQL means a plain dump holds NUL bytes, or is a custom
	// archive.
	ErrNotPlainSQL = errors.New("dump is not plain SQL")
	// ErrOtherDatabase means a dump does not create the table every dump
	// of this database creates (Config.RequireTable).
	ErrOtherDatabase = errors.New("dump is not of this service's database")
)

// completionMarker is the comment pg_dump writes at the end of a plain dump.
const completionMarker = "-- PostgreSQL database dump complete"

// archiveMagic opens every custom-format archive.
const archiveMagic = "PGDMP"

// plainCheck inspects a plain SQL dump as it streams past: written to like
// a file, it keeps only the first bytes and a bounded tail.
type plainCheck struct {
	require  string // a table the dump must create, or ""
	scan     sqlScan
	n        int64
	head     []byte // first len(archiveMagic) bytes
	nonSpace bool
	tail     []byte
}

// tailSize is how much of a plain dump's end is kept to find the marker;
// after it pg_dump writes only a few short lines.
const tailSize = 8 << 10

// Write records p, failing at the first NUL byte.
func (c *plainCheck) Write(p []byte) (int, error) {
	if len(c.head) < len(archiveMagic) {
		c.head = append(c.head, p[:min(len(p), len(archiveMagic)-len(c.head))]...)
		if string(c.head) == archiveMagic {
			return 0, fmt.Errorf("%w: it is a custom-format archive", ErrNotPlainSQL)
		}
	}
	if i := bytes.IndexByte(p, 0); i >= 0 {
		return 0, fmt.Errorf("%w: NUL byte at offset %d", ErrNotPlainSQL, c.n+int64(i))
	}
	if _, err := c.scan.Write(p); err != nil {
		return 0, err
	}
	if !c.nonSpace && len(bytes.TrimSpace(p)) > 0 {
		c.nonSpace = true
	}
	c.n += int64(len(p))
	if len(p) >= tailSize {
		c.tail = append(c.tail[:0], p[len(p)-tailSize:]...)
	} else {
		if over := len(c.tail) + len(p) - tailSize; over > 0 {
			c.tail = c.tail[:copy(c.tail, c.tail[over:])]
		}
		c.tail = append(c.tail, p...)
	}
	return len(p), nil
}

// result says whether everything written was a whole plain dump: not
// empty, and ending with the completion marker followed only by blank
// lines, comments and psql's \unrestrict (which pg_dump writes last since
// the 2025 minor releases).
func (c *plainCheck) result() error {
	if err := c.scan.done(); err != nil {
		return err
	}
	if !c.nonSpace {
		return ErrEmptyDump
	}
	if c.require != "" && !c.scan.created[c.require] {
		return fmt.Errorf("%w: it creates no table %s", ErrOtherDatabase, c.require)
	}
	i := bytes.LastIndex(c.tail, []byte(completionMarker))
	if i < 0 || (i > 0 && c.tail[i-1] != '\n') {
		return ErrTruncatedDump
	}
	rest := string(c.tail[i+len(completionMarker):])
	first, rest, _ := strings.Cut(rest, "\n")
	if strings.TrimSpace(first) != "" {
		return ErrTruncatedDump
	}
	for line := range strings.SplitSeq(rest, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "--") && !strings.HasPrefix(line, `\unrestrict `) {
			return fmt.Errorf("%w: text after it", ErrTruncatedDump)
		}
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it; the tools' stderr
// goes there so that a chatty tool cannot exhaust memory.
type tailBuffer struct {
	max int
	buf []byte
	cut bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

// Write keeps the end of p and what came before, up to max bytes.
func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= b.max {
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		b.cut = true
		return n, nil
	}
	if over := len(b.buf) + len(p) - b.max; over > 0 {
		b.buf = b.buf[:copy(b.buf, b.buf[over:])]
		b.cut = true
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

// String is the kept text. When the start was dropped, it begins at the
// next whole line, so no fragment of a secret survives the cut.
func (b *tailBuffer) String() string {
	s := string(b.buf)
	if b.cut {
		if _, after, ok := strings.Cut(s, "\n"); ok {
			s = after
		} else {
			s = ""
		}
		s = "[...] " + s
	}
	return s
}

// lineCounter counts the entries of a `pg_restore --list` listing: lines
// that are neither blank nor ";" comments.
type lineCounter struct {
	entries int
	counted bool // the current line has been looked at
	// require is a table ("public.users") to look for among the TABLE
	// entries; found says whether one was listed.
	require string
	found   bool
	line    []byte // the current line, up to 512 bytes
}

func (c *lineCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		if c.require != "" {
			if b == '\n' {
				c.found = c.found || tocCreates(string(c.line), c.require)
				c.line = c.line[:0]
			} else if len(c.line) < 512 {
				c.line = append(c.line, b)
			}
		}
		switch {
		case b == '\n':
			c.counted = false
		case c.counted:
		case b == ' ' || b == '\t' || b == '\r':
		default:
			if b != ';' {
				c.entries++
			}
			c.counted = true
		}
	}
	return len(p), nil
}

// tocCreates reports whether a line of `pg_restore --list` is the TABLE
// entry of table ("schema.name"): "215; 1259 16390 TABLE public users owner".
func tocCreates(line, table string) bool {
	schema, name, _ := strings.Cut(table, ".")
	f := strings.Fields(line)
	return len(f) >= 6 && !strings.HasPrefix(f[0], ";") && f[3] == "TABLE" &&
		f[4] == schema && f[5] == name
}

// recordingWriter passes writes to w and remembers the first error, which
// the tool writing into it would otherwise only report as a broken pipe.
type recordingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.w.Write(p)
	r.n += int64(n)
	if err != nil {
		r.err = err
	}
	return n, err
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// fanOut copies r to every writer, closing each at the end. A writer that
// fails (its tool stopped reading, as `pg_restore --list` does after the
// table of contents) is closed and left out; copying stops when none is
// left. The error is r's only.
func fanOut(r io.Reader, ws ...io.WriteCloser) error {
	live := append([]io.WriteCloser(nil), ws...)
	defer func() {
		for _, w := range live {
			_ = w.Close()
		}
	}()
	buf := make([]byte, 64<<10)
	for len(live) > 0 {
		n, err := r.Read(buf)
		if n > 0 {
			kept := live[:0]
			for _, w := range live {
				if _, werr := w.Write(buf[:n]); werr != nil {
					_ = w.Close()
					continue
				}
				kept = append(kept, w)
			}
			live = kept
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}
