package test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "auth-service"

// ioPackages are the standard packages that reach the world: the inner
// layers must not import them.
var ioPackages = []string{
	"os", "os/exec", "os/signal", "net", "net/http", "net/mail", "net/smtp",
	"database/sql", "io/ioutil", "syscall", "log", "log/slog", "path/filepath",
}

// layerRule says what the packages under a folder may import from this
// module and from outside the standard library.
type layerRule struct {
	dir        string
	ownAllowed []string // module packages allowed (prefix match)
	extAllowed []string // third-party module prefixes allowed
}

var rules = []layerRule{
	{dir: "domain", ownAllowed: nil, extAllowed: []string{"golang.org/x/text"}},
	{dir: "ports", ownAllowed: []string{"auth-service/domain"}},
	{
		dir:        "application",
		ownAllowed: []string{"auth-service/domain", "auth-service/ports"},
	},
}

// TestImportDirection checks that imports point inward: domain imports
// nothing of ours and no I/O, ports only domain, application only domain
// and ports. Test files and the test support packages (fakes, storetest)
// may use testify.
func TestImportDirection(t *testing.T) {
	for _, rule := range rules {
		t.Run(rule.dir, func(t *testing.T) {
			root := filepath.Join("..", rule.dir)
			seen := 0
			err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
					return err
				}
				if strings.HasSuffix(path, "_test.go") || strings.Contains(path, "/fakes/") || strings.Contains(path, "/storetest/") {
					return nil
				}
				seen++
				f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
				require.NoError(t, err)
				for _, imp := range f.Imports {
					p, _ := strconv.Unquote(imp.Path.Value)
					assert.True(t, allowed(rule, p), "%s imports %s", path, p)
				}
				return nil
			})
			require.NoError(t, err)
			require.NotZero(t, seen, "no Go files found under %s", root)
		})
	}
}

func allowed(rule layerRule, p string) bool {
	for _, bad := range ioPackages {
		if p == bad {
			return false
		}
	}
	if p == module || strings.HasPrefix(p, module+"/") {
		for _, ok := range rule.ownAllowed {
			if p == ok {
				return true
			}
		}
		return false
	}
	first, _, _ := strings.Cut(p, "/")
	if !strings.Contains(first, ".") {
		return true // standard library
	}
	for _, ok := range rule.extAllowed {
		if p == ok || strings.HasPrefix(p, ok+"/") {
			return true
		}
	}
	return false
}

// TestImportRuleCatchesViolations makes sure the check above can fail.
func TestImportRuleCatchesViolations(t *testing.T) {
	cases := []struct {
		rule layerRule
		imp  string
		want bool
	}{
		{rules[0], "os", false},
		{rules[0], "auth-service/ports", false},
		{rules[0], "github.com/jmoiron/sqlx", false},
		{rules[0], "golang.org/x/text/unicode/norm", true},
		{rules[0], "strings", true},
		{rules[2], "auth-service/adapters/postgres", false},
		{rules[2], "net/http", false},
		{rules[2], "auth-service/ports", true},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, allowed(c.rule, c.imp), "%s importing %s", c.rule.dir, c.imp)
	}
}
