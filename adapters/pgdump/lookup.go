package pgdump

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrToolNotFound is wrapped by New's error when pg_dump, pg_restore or
// psql cannot be found.
var ErrToolNotFound = errors.New("PostgreSQL client tool not found")

// finder locates the client tools. Its fields are seams for tests.
type finder struct {
	binDir     string
	lookPath   func(string) (string, error)
	pgConfig   func() (string, error) // pg_config --bindir
	debianGlob string                 // the versioned bin dirs
}

func newFinder(binDir string) *finder {
	return &finder{
		binDir:     binDir,
		lookPath:   exec.LookPath,
		pgConfig:   pgConfigBinDir,
		debianGlob: "/usr/lib/postgresql/*/bin",
	}
}

// find returns the path of each tool in names, looking in binDir when it
// is set and otherwise in PATH, then in `pg_config --bindir`, then in the
// newest /usr/lib/postgresql/<version>/bin. The error names every tool
// that is missing.
func (f *finder) find(names ...string) (map[string]string, error) {
	found := make(map[string]string, len(names))
	var missing []string
	var fallback []string // computed once, on the first miss in PATH
	fallbackDone := false
	for _, name := range names {
		if f.binDir != "" {
			p := filepath.Join(f.binDir, name)
			if isExecutable(p) {
				found[name] = p
			} else {
				missing = append(missing, name)
			}
			continue
		}
		if p, err := f.lookPath(name); err == nil {
			found[name] = p
			continue
		}
		if !fallbackDone {
			fallback, fallbackDone = f.fallbackDirs(), true
		}
		if p, ok := firstIn(fallback, name); ok {
			found[name] = p
			continue
		}
		missing = append(missing, name)
	}
	if len(missing) == 0 {
		return found, nil
	}

	where := "PATH, `pg_config --bindir` or " + f.debianGlob
	if f.binDir != "" {
		where = f.binDir + " (BinDir)"
	}
	return nil, fmt.Errorf("%w: %s not in %s; install it with: "+
		"apt-get install postgresql-client (of the server's major version)",
		ErrToolNotFound, strings.Join(missing, ", "), where)
}

// fallbackDirs are pg_config's bin dir, then the versioned Debian bin
// dirs, newest version first.
func (f *finder) fallbackDirs() []string {
	var dirs []string
	if d, err := f.pgConfig(); err == nil && d != "" {
		dirs = append(dirs, d)
	}
	return append(dirs, byVersionDesc(f.debianGlob)...)
}

// byVersionDesc expands a glob whose one "*" is a version (15, 9.6) and
// orders the matches newest first; matches that are no version are left
// out.
func byVersionDesc(glob string) []string {
	matches, _ := filepath.Glob(glob)
	prefix, _, _ := strings.Cut(glob, "*")
	type dir struct {
		path string
		ver  []int
	}
	var dirs []dir
	for _, m := range matches {
		rest := strings.TrimPrefix(m, prefix)
		v, _, _ := strings.Cut(rest, string(filepath.Separator))
		ver, ok := parseDotted(v)
		if ok {
			dirs = append(dirs, dir{m, ver})
		}
	}
	slices.SortFunc(dirs, func(a, b dir) int { return slices.Compare(b.ver, a.ver) })
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = d.path
	}
	return out
}

// parseDotted reads "15" or "9.6" as its numbers.
func parseDotted(s string) ([]int, bool) {
	var ver []int
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		ver = append(ver, n)
	}
	return ver, len(ver) > 0
}

func firstIn(dirs []string, name string) (string, bool) {
	for _, d := range dirs {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, true
		}
	}
	return "", false
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// pgConfigBinDir asks pg_config, when it is on PATH, where the binaries
// are.
func pgConfigBinDir() (string, error) {
	p, err := exec.LookPath("pg_config")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p, "--bindir").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
