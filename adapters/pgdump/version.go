package pgdump

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// VersionError is CheckVersions' error: the dump tool is older than the
// server, which pg_dump refuses to dump.
type VersionError struct {
	Tool, Server int // major versions
}

// Error names both versions and the package that fixes it.
func (e *VersionError) Error() string {
	return fmt.Sprintf(
		"pg_dump %d is older than the PostgreSQL %d server; install postgresql-client-%d",
		e.Tool, e.Server, e.Server)
}

// CheckVersions returns a *VersionError when the tool's major version is
// older than the server's, and an error when either is unknown (not
// positive); nil otherwise.
func CheckVersions(tool, server int) error {
	if tool <= 0 || server <= 0 {
		return fmt.Errorf("unknown PostgreSQL version (pg_dump %d, server %d)", tool, server)
	}
	if tool < server {
		return &VersionError{Tool: tool, Server: server}
	}
	return nil
}

// toolVersion matches the version after the "(PostgreSQL)" of a --version
// line: "15.19", "16devel", "17beta1", "9.6.24".
var toolVersion = regexp.MustCompile(`\)\s+(\d+)`)

// firstNumber is the fallback for a line without the parenthesised name.
var firstNumber = regexp.MustCompile(`\d+`)

// parseToolMajor reads the major version from `pg_dump --version` output,
// such as "pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)" (15). For
// 9.x releases it returns 9.
func parseToolMajor(out string) (int, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	m := toolVersion.FindStringSubmatch(line)
	num := ""
	if m != nil {
		num = m[1]
	} else {
		num = firstNumber.FindString(line)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("no version in pg_dump --version output %q", line)
	}
	return n, nil
}
