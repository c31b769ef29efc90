package pgdump

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
)

// sqlScan reads a plain SQL dump as it streams past and refuses what
// pg_dump never writes but psql would obey: a backslash meta-command other
// than \restrict and \unrestrict (\! runs a shell command), and top-level
// transaction control, which would break the single transaction of a
// restore. It follows SQL's quoting (strings, identifiers, dollar quotes,
// comments) and COPY data, so text inside those is left alone.
//
// Where psql's reading could differ from ours it refuses rather than
// guesses: a quote right after a backslash inside a string (an escape in
// E” strings or with standard_conforming_strings off), and any change of
// standard_conforming_strings or client_encoding, which change how psql
// splits what follows. This guards the restoring client only: the SQL
// itself runs with the restoring role's rights, so BACKUP_DIR must be
// writable by the service alone (its checksums prove integrity, not
// origin).
type sqlScan struct {
	pending []byte // an unfinished line
	state   scanState
	dollar  string // the open dollar-quote tag
	depth   int    // nesting of /* */ comments
	stmt    strings.Builder
	err     error
	// created holds the tables ("schema.name", lower case) the dump
	// creates with a top-level CREATE TABLE.
	created map[string]bool
}

type scanState int

// stmtCap bounds what is kept of one statement's unquoted text: enough for
// any COPY header pg_dump writes.
const stmtCap = 64 << 10

// settingLines are the only lines that may name the settings that change
// how psql splits its input; pg_dump writes exactly these.
var settingLines = map[string]bool{
	"SET standard_conforming_strings = on;": true,
	"SET client_encoding = 'UTF8';":         true,
}

const (
	sNormal scanState = iota
	sSingle
	sDouble
	sDollar
	sBlock
	sCopy
)

// transactionWords start statements that end or open a transaction.
var transactionWords = map[string]bool{
	"BEGIN": true, "COMMIT": true, "ROLLBACK": true, "END": true, "ABORT": true,
	"START": true, "SAVEPOINT": true, "RELEASE": true, "PREPARE": true,
}

// Write feeds bytes; it fails at the first refused line.
func (s *sqlScan) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.pending = append(s.pending, p...)
	for {
		i := bytes.IndexByte(s.pending, '\n')
		if i < 0 {
			break
		}
		s.line(string(s.pending[:i]))
		s.pending = s.pending[i+1:]
		if s.err != nil {
			return 0, s.err
		}
	}
	return len(p), nil
}

// done checks the last, unterminated line.
func (s *sqlScan) done() error {
	if s.err == nil && len(s.pending) > 0 {
		s.line(string(s.pending))
		s.pending = nil
	}
	return s.err
}

func (s *sqlScan) fail(format string, args ...any) {
	s.err = fmt.Errorf("%w: "+format, append([]any{ErrNotPlainSQL}, args...)...)
}

func (s *sqlScan) line(line string) {
	if s.state == sCopy {
		if line == `\.` {
			s.state = sNormal
		}
		return
	}
	if lower := strings.ToLower(line); (strings.Contains(lower, "standard_conforming_strings") ||
		strings.Contains(lower, "client_encoding")) && !settingLines[strings.TrimSpace(line)] {
		s.fail("a change of standard_conforming_strings or client_encoding")
		return
	}
	if s.state == sNormal && strings.HasPrefix(strings.TrimLeft(line, " \t"), `\`) {
		cmd := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(cmd, `\restrict `) || strings.HasPrefix(cmd, `\unrestrict `) {
			return
		}
		s.fail("psql meta-command %q", firstWord(cmd))
		return
	}
	for i := 0; i < len(line) && s.err == nil; i++ {
		c := line[i]
		switch s.state {
		case sSingle:
			if c == '\'' && i > 0 && line[i-1] == '\\' {
				s.fail("a quote after a backslash inside a string, which psql may read as an escape")
			} else if c == '\'' {
				s.state = sNormal
			}
		case sDouble:
			if c == '"' {
				s.state = sNormal
			}
		case sBlock:
			if c == '*' && i+1 < len(line) && line[i+1] == '/' {
				i++
				if s.depth--; s.depth == 0 {
					s.state = sNormal
				}
			} else if c == '/' && i+1 < len(line) && line[i+1] == '*' {
				i++
				s.depth++
			}
		case sDollar:
			if strings.HasPrefix(line[i:], s.dollar) {
				i += len(s.dollar) - 1
				s.state = sNormal
			}
		case sNormal:
			i = s.normal(line, i)
		}
	}
}

// normal handles one byte outside any quote and returns the index of the
// last byte it consumed.
func (s *sqlScan) normal(line string, i int) int {
	c := line[i]
	switch {
	case c == '-' && strings.HasPrefix(line[i:], "--"):
		return len(line) // a comment to the end of the line
	case c == '/' && strings.HasPrefix(line[i:], "/*"):
		s.state, s.depth = sBlock, 1
		return i + 1
	case c == '\'':
		s.state = sSingle
	case c == '"':
		s.state = sDouble
	case c == '$' && (i == 0 || !identByte(line[i-1])):
		// After an identifier byte, $ continues the identifier (a$b$).
		if tag, ok := dollarTag(line[i:]); ok {
			s.state, s.dollar = sDollar, tag
			return i + len(tag) - 1
		}
	case c == '\\':
		s.fail("psql meta-command %q inside a line", firstWord(line[i:]))
		return len(line)
	case c == ';':
		s.statementEnd()
		return i
	}
	if s.stmt.Len() < stmtCap {
		s.stmt.WriteByte(c)
	}
	return i
}

// statementEnd checks a finished top-level statement.
func (s *sqlScan) statementEnd() {
	text := strings.TrimSpace(s.stmt.String())
	s.stmt.Reset()
	word := strings.ToUpper(firstWord(text))
	if transactionWords[word] {
		s.fail("transaction control %q", word)
		return
	}
	upper := strings.ToUpper(text)
	if word == "COPY" && strings.HasSuffix(upper, "FROM STDIN") {
		s.state = sCopy
	}
	if f := strings.Fields(text); len(f) >= 3 && word == "CREATE" && strings.EqualFold(f[1], "TABLE") {
		if s.created == nil {
			s.created = map[string]bool{}
		}
		name, _, _ := strings.Cut(f[2], "(")
		s.created[strings.ToLower(name)] = true
	}
}

// dollarTag returns the $tag$ opening at the start of s.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := rune(s[j])
		if c == '$' {
			return s[:j+1], true
		}
		if !(unicode.IsLetter(c) || c == '_' || (j > 1 && unicode.IsDigit(c))) {
			return "", false
		}
	}
	return "", false
}

// identByte reports whether b can continue an identifier (or a number)
// for PostgreSQL's lexer.
func identByte(b byte) bool {
	return b == '_' || b == '$' || b >= 0x80 ||
		('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9')
}

func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ';' || r == '(' }); i >= 0 {
		return s[:i]
	}
	return s
}
