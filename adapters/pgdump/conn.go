package pgdump

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
)

// conn is a connection URL taken apart into what the client tools take as
// flags and what they take from the environment.
type conn struct {
	host     string // comma-separated when the URL names several hosts
	port     string // comma-separated, one per host, or empty
	user     string
	dbname   string
	password string

	// env holds the PG* variables the URL's query asks for (PGSSLMODE and
	// the like), as KEY=value.
	env []string
	// ignored names the query keys the tools have no use for.
	ignored []string
}

// queryEnv maps the libpq URL parameters the tools honour to the
// environment variables that carry them.
var queryEnv = map[string]string{
	"sslmode":              "PGSSLMODE",
	"sslrootcert":          "PGSSLROOTCERT",
	"sslcert":              "PGSSLCERT",
	"sslkey":               "PGSSLKEY",
	"sslcrl":               "PGSSLCRL",
	"sslsni":               "PGSSLSNI",
	"channel_binding":      "PGCHANNELBINDING",
	"gssencmode":           "PGGSSENCMODE",
	"krbsrvname":           "PGKRBSRVNAME",
	"connect_timeout":      "PGCONNECT_TIMEOUT",
	"target_session_attrs": "PGTARGETSESSIONATTRS",
	"options":              "PGOPTIONS",
}

// quietKeys are query keys dropped without a word: the tools get their own
// application name, and the rest only mean something to lib/pq.
var quietKeys = map[string]bool{
	"application_name":               true,
	"fallback_application_name":      true,
	"binary_parameters":              true,
	"disable_prepared_binary_result": true,
}

// parseURL takes apart a postgres:// or postgresql:// URL the way libpq
// reads it: user, password, hosts, ports and database from the URL itself,
// overridden by query parameters of the same name. The error never holds
// the URL, which may carry a password.
func parseURL(raw string) (conn, error) {
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		return conn{}, fmt.Errorf("database URL must start with postgres:// or postgresql://")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The parser's message quotes pieces of the URL, perhaps of the
		// password, so none of it is kept.
		return conn{}, fmt.Errorf("database URL does not parse; " +
			"special characters in the user name or password must be percent-encoded")
	}

	var c conn
	if u.User != nil {
		c.user = u.User.Username()
		c.password, _ = u.User.Password()
	}
	c.dbname = strings.TrimPrefix(u.Path, "/")
	c.host, c.port = splitHosts(u.Host)

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return conn{}, fmt.Errorf("database URL query does not parse")
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := q.Get(k)
		switch k {
		case "host":
			c.host = v
		case "port":
			c.port = v
		case "user":
			c.user = v
		case "password":
			c.password = v
		case "dbname":
			c.dbname = v
		default:
			if name, ok := queryEnv[k]; ok {
				c.env = append(c.env, name+"="+v)
			} else if !quietKeys[k] {
				c.ignored = append(c.ignored, k)
			}
		}
	}
	return c, nil
}

// splitHosts turns a URL's host part, possibly a list such as
// "a:5432,[::1]:5433", into libpq's comma-separated host and port lists.
func splitHosts(hostport string) (hosts, ports string) {
	if hostport == "" {
		return "", ""
	}
	var hs, ps []string
	anyPort := false
	for part := range strings.SplitSeq(hostport, ",") {
		h, p := part, ""
		if strings.HasPrefix(part, "[") || strings.Count(part, ":") == 1 {
			var err error
			if h, p, err = net.SplitHostPort(part); err != nil {
				// No port: a bracketed IPv6 address alone.
				h, p = strings.Trim(part, "[]"), ""
			}
		}
		if p != "" {
			anyPort = true
		}
		hs = append(hs, h)
		ps = append(ps, p)
	}
	if anyPort {
		ports = strings.Join(ps, ",")
	}
	return strings.Join(hs, ","), ports
}

// flags are the connection options for pg_dump, pg_restore and psql. The
// password is never among them.
func (c conn) flags() []string {
	var f []string
	if c.host != "" {
		f = append(f, "-h", c.host)
	}
	if c.port != "" {
		f = append(f, "-p", c.port)
	}
	if c.user != "" {
		f = append(f, "-U", c.user)
	}
	if c.dbname != "" {
		f = append(f, "-d", dbnameArg(c.dbname))
	}
	return f
}

// dbnameArg protects a database name that the tools would otherwise read
// as a connection string (it holds "=" or starts with a URI prefix) by
// wrapping it in one that names only the database.
func dbnameArg(name string) string {
	if !strings.Contains(name, "=") &&
		!strings.HasPrefix(name, "postgres://") &&
		!strings.HasPrefix(name, "postgresql://") {
		return name
	}
	esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(name)
	return "dbname='" + esc + "'"
}

// environ is the whole environment of a tool: a minimal base (PATH, LANG,
// HOME, TMPDIR), so that PG* variables of this process never leak in, plus
// the connection settings; the password travels as PGPASSWORD when
// withPassword is set.
func (c conn) environ(withPassword bool) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	env := []string{"PATH=" + path, "LANG=C.UTF-8"}
	for _, k := range []string{"HOME", "TMPDIR"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	env = append(env,
		"PGCONNECT_TIMEOUT=10",
		"PGAPPNAME=auth-service-backup",
	)
	// Later entries win in exec.Cmd, so the URL's own settings (a
	// connect_timeout, say) override the defaults above.
	env = append(env, c.env...)
	if withPassword && c.password != "" {
		env = append(env, "PGPASSWORD="+c.password)
	}
	return env
}

// secrets lists every form in which the password could show up in a
// message: as is, escaped for a URL's user info, path or query, and as
// written in the raw URL. Empty when there is no password.
func secrets(password, rawURL string) []string {
	if password == "" {
		return nil
	}
	forms := []string{
		password,
		url.QueryEscape(password),
		url.PathEscape(password),
		strings.TrimPrefix(url.UserPassword("", password).String(), ":"),
	}
	if rawPw := rawPassword(rawURL); rawPw != "" {
		forms = append(forms, rawPw)
	}
	// Longest first, so a form that contains another is replaced whole.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(forms)
}

// rawPassword is the password exactly as written in a URL's user info,
// found the way net/url finds it.
func rawPassword(rawURL string) string {
	_, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	return pw
}

// redact replaces every form of a secret in s with "***".
func redact(s string, forms []string) string {
	for _, f := range forms {
		if f != "" {
			s = strings.ReplaceAll(s, f, "***")
		}
	}
	return s
}
