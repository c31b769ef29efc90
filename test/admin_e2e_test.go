//go:build integration

package test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/test/testdb"
)

// The administrator seeded from ADMIN_EMAIL / ADMIN_PASSWORD.
const (
	e2eAdminEmail    = "admin@example.com"
	e2eAdminPassword = "seeded administrator passphrase 42"
	e2eDummyID       = "00000000-0000-4000-8000-000000000000"
)

// e2eAdminSettings are the settings that seed the first administrator,
// followed by extra.
func e2eAdminSettings(extra ...string) []string {
	return append([]string{"ADMIN_EMAIL=" + e2eAdminEmail, "ADMIN_PASSWORD=" + e2eAdminPassword},
		extra...)
}

// e2eLogin logs in with email and password and fails the test unless it
// gets 200.
func e2eLogin(t *testing.T, s *server, email, password string, headers ...string) (access, refresh string) {
	t.Helper()
	r := s.call("POST", "/v1/auth/login", "", creds{email, password}, headers...)
	require.Equal(t, http.StatusOK, r.Status, "login %s: %s", email, r.Raw)
	return r.str("access_token"), r.str("refresh_token")
}

// e2eAdminToken logs the seeded administrator in.
func e2eAdminToken(t *testing.T, s *server) string {
	t.Helper()
	access, _ := e2eLogin(t, s, e2eAdminEmail, e2eAdminPassword)
	return access
}

// e2eMe returns the account behind token, failing unless 200.
func e2eMe(t *testing.T, s *server, token string) response {
	t.Helper()
	r := s.call("GET", "/v1/users/me", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	return r
}

// e2eCreateUser creates an account with goodPassword through the admin
// route and returns its id.
func e2eCreateUser(t *testing.T, s *server, token, email string, roles ...string) string {
	t.Helper()
	body := map[string]any{"email": email, "password": goodPassword}
	if roles != nil {
		body["roles"] = roles
	}
	r := s.call("POST", "/v1/admin/users", token, body)
	require.Equal(t, http.StatusCreated, r.Status, "create %s: %s", email, r.Raw)
	require.NotEmpty(t, r.str("id"))
	return r.str("id")
}

// e2eCreateRole creates a role holding perms, failing unless 201.
func e2eCreateRole(t *testing.T, s *server, token, name string, perms ...string) {
	t.Helper()
	if perms == nil {
		perms = []string{}
	}
	r := s.call("POST", "/v1/admin/roles", token, map[string]any{"name": name, "permissions": perms})
	require.Equal(t, http.StatusCreated, r.Status, "create role %s: %s", name, r.Raw)
}

// e2eItems returns the objects of a list answer.
func e2eItems(t *testing.T, r response) []map[string]any {
	t.Helper()
	raw, ok := r.JSON["items"].([]any)
	require.True(t, ok, "no items in %s", r.Raw)
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i], ok = it.(map[string]any)
		require.True(t, ok, "item %d of %s is not an object", i, r.Raw)
	}
	return out
}

// e2eField collects one string field of every item.
func e2eField(items []map[string]any, field string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, _ := it[field].(string)
		out = append(out, s)
	}
	return out
}

// e2eStrings turns a JSON array into sorted strings.
func e2eStrings(v any) []string {
	raw, _ := v.([]any)
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		s, _ := x.(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// e2eListEmails lists the emails of the accounts matching query (already
// a url.Values) as the administrator sees them, with the answer.
func e2eListEmails(t *testing.T, s *server, token string, q url.Values) ([]string, response) {
	t.Helper()
	r := s.call("GET", "/v1/admin/users?"+q.Encode(), token, nil)
	require.Equal(t, http.StatusOK, r.Status, "list ?%s: %s", q.Encode(), r.Raw)
	emails := e2eField(e2eItems(t, r), "email")
	sort.Strings(emails)
	return emails, r
}

// e2eAdminRoute is one route of the administration table with a body
// that, were it allowed, would change something.
type e2eAdminRoute struct {
	method, path string
	body         any
}

// e2eAdminRoutes returns the 18 administration routes of the contract,
// with {id} and {name} replaced.
func e2eAdminRoutes(id, name string) []e2eAdminRoute {
	u := "/v1/admin/users/" + id
	r := "/v1/admin/roles/" + name
	return []e2eAdminRoute{
		{"GET", "/v1/admin/users", nil},
		{"POST", "/v1/admin/users", map[string]any{"email": "sneaky@example.com",
			"password": goodPassword, "roles": []string{"admin"}}},
		{"GET", u, nil},
		{"PATCH", u, map[string]any{"status": "disabled"}},
		{"DELETE", u, nil},
		{"POST", u + "/restore", nil},
		{"PUT", u + "/roles", map[string]any{"roles": []string{"user", "admin"}}},
		{"GET", "/v1/admin/roles", nil},
		{"POST", "/v1/admin/roles", map[string]any{"name": "sneaky",
			"permissions": []string{"users:delete"}}},
		{"GET", r, nil},
		{"PATCH", r, map[string]any{"description": "changed by an intruder"}},
		{"PUT", r + "/permissions", map[string]any{"permissions": []string{"users:read"}}},
		{"DELETE", r, nil},
		{"GET", "/v1/admin/permissions", nil},
		{"POST", "/v1/admin/permissions", map[string]any{"name": "sneaky:perm"}},
		{"GET", "/v1/admin/backups", nil},
		{"POST", "/v1/admin/backups", nil},
		{"GET", "/v1/admin/audit-events", nil},
	}
}

// The self routes that need a valid token and no permission.
var e2eBearerRoutes = []e2eAdminRoute{
	{"POST", "/v1/auth/logout", map[string]any{"scope": "global"}},
	{"GET", "/v1/users/me", nil},
	{"PATCH", "/v1/users/me", map[string]any{"name": "x"}},
	{"DELETE", "/v1/users/me", map[string]any{"password": goodPassword}},
	{"POST", "/v1/users/me/password", map[string]any{"current_password": goodPassword,
		"new_password": "another fine passphrase"}},
	{"GET", "/v1/users/me/sessions", nil},
	{"DELETE", "/v1/users/me/sessions/" + e2eDummyID, nil},
}

func TestAdminRoutesRefuseUsersAndAnonymous(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)
	adminID := e2eMe(t, s, admin).str("id")
	s.register("plain@example.com")
	user, _ := s.login("plain@example.com")
	userID := e2eMe(t, s, user).str("id")

	// 403 for a plain user on every administration route, on made-up
	// targets and on real ones (the administrator, the system roles,
	// the caller itself).
	targets := [][2]string{{e2eDummyID, "no-such-role"}, {adminID, "admin"}, {userID, "user"}}
	tried := map[string]bool{}
	for _, tg := range targets {
		routes := e2eAdminRoutes(tg[0], tg[1])
		require.Len(t, routes, 18)
		for _, rt := range routes {
			if tried[rt.method+" "+rt.path] {
				continue
			}
			tried[rt.method+" "+rt.path] = true
			r := s.call(rt.method, rt.path, user, rt.body)
			if assert.Equal(t, http.StatusForbidden, r.Status, "%s %s as a plain user: %s",
				rt.method, rt.path, r.Raw) {
				assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
				assert.NotEmpty(t, r.str("request_id"))
			}
		}
	}

	// 401 with WWW-Authenticate without a token, or with a bad one, on
	// every route that is not public.
	all := append(e2eAdminRoutes(adminID, "admin"), e2eBearerRoutes...)
	for label, tok := range map[string]string{"no": "", "a garbage": "not-a-jwt",
		"a tampered": admin + "x"} {
		for _, rt := range all {
			r := s.call(rt.method, rt.path, tok, rt.body)
			if assert.Equal(t, http.StatusUnauthorized, r.Status, "%s %s with %s token: %s",
				rt.method, rt.path, label, r.Raw) {
				assert.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
			}
		}
	}
	// Tokens are never taken from the URL.
	r := s.call("GET", "/v1/admin/users?access_token="+url.QueryEscape(admin), "", nil)
	assert.Equal(t, http.StatusUnauthorized, r.Status)

	// Nothing any refused request asked for happened.
	me := e2eMe(t, s, admin)
	assert.Equal(t, "active", me.str("status"))
	assert.Contains(t, e2eStrings(me.JSON["roles"]), "admin")
	assert.Equal(t, []string{"user"}, e2eStrings(e2eMe(t, s, user).JSON["roles"]))
	emails, _ := e2eListEmails(t, s, admin, url.Values{"q": {"sneaky"}})
	assert.Empty(t, emails)
	assert.Equal(t, http.StatusNotFound, s.call("GET", "/v1/admin/roles/sneaky", admin, nil).Status)
	userRole := s.call("GET", "/v1/admin/roles/user", admin, nil)
	require.Equal(t, http.StatusOK, userRole.Status)
	assert.Empty(t, e2eStrings(userRole.JSON["permissions"]))
	perms := s.call("GET", "/v1/admin/permissions", admin, nil)
	assert.NotContains(t, e2eField(e2eItems(t, perms), "name"), "sneaky:perm")

	// The administrator gets through on every read route.
	for _, p := range []string{"/v1/admin/users", "/v1/admin/users/" + userID, "/v1/admin/roles",
		"/v1/admin/roles/admin", "/v1/admin/permissions", "/v1/admin/audit-events"} {
		assert.Equal(t, http.StatusOK, s.call("GET", p, admin, nil).Status, p)
	}
}

func TestAdminListUsersFiltersAndPaging(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)

	// Addresses holding the LIKE wildcards; the validator accepts both.
	for _, e := range []string{"a_b@example.com", "a%b@example.com", "axb@example.com",
		"zed@example.org"} {
		r := s.call("POST", "/v1/auth/register", "", creds{e, goodPassword})
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", e, r.Raw)
	}
	// Names holding them, set through PATCH.
	names := map[string]string{"n1@example.net": "50% off", "n2@example.net": "snake_case",
		"n3@example.net": `back\slash`}
	for e, n := range names {
		id := e2eCreateUser(t, s, admin, e)
		r := s.call("PATCH", "/v1/admin/users/"+id, admin, map[string]any{"name": n})
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		assert.Equal(t, n, r.str("name"))
	}

	got, _ := e2eListEmails(t, s, admin, url.Values{"q": {"%"}})
	assert.Equal(t, []string{"a%b@example.com", "n1@example.net"}, got, "%% matches itself only")
	got, _ = e2eListEmails(t, s, admin, url.Values{"q": {"_"}})
	assert.Equal(t, []string{"a_b@example.com", "n2@example.net"}, got, "_ matches itself only")
	got, _ = e2eListEmails(t, s, admin, url.Values{"q": {`\`}})
	assert.Equal(t, []string{"n3@example.net"}, got, `\ matches itself only`)
	got, _ = e2eListEmails(t, s, admin, url.Values{"q": {`\_`}})
	assert.Empty(t, got, `\_ is not an escaped _`)
	got, _ = e2eListEmails(t, s, admin, url.Values{"q": {"a_b"}})
	assert.Equal(t, []string{"a_b@example.com"}, got)
	got, _ = e2eListEmails(t, s, admin, url.Values{"q": {"A%B@"}})
	assert.Equal(t, []string{"a%b@example.com"}, got, "case-insensitive, literal")
	got, _ = e2eListEmails(t, s, admin, url.Values{"q": {"SNAKE"}})
	assert.Equal(t, []string{"n2@example.net"}, got, "matches names too")
	got, _ = e2eListEmails(t, s, admin, url.Values{"q": {"example.org"}})
	assert.Equal(t, []string{"zed@example.org"}, got)

	// Role filter.
	got, _ = e2eListEmails(t, s, admin, url.Values{"role": {"admin"}})
	assert.Equal(t, []string{e2eAdminEmail}, got)
	got, _ = e2eListEmails(t, s, admin, url.Values{"role": {"nobody-has-this"}})
	assert.Empty(t, got)

	// Status filter: one disabled, one deleted.
	disabledID := e2eCreateUser(t, s, admin, "off@example.com")
	require.Equal(t, http.StatusOK, s.call("PATCH", "/v1/admin/users/"+disabledID, admin,
		map[string]any{"status": "disabled"}).Status)
	deletedID := e2eCreateUser(t, s, admin, "gone@example.com")
	require.Equal(t, http.StatusNoContent,
		s.call("DELETE", "/v1/admin/users/"+deletedID, admin, nil).Status)
	got, _ = e2eListEmails(t, s, admin, url.Values{"status": {"disabled"}})
	assert.Equal(t, []string{"off@example.com"}, got)
	got, r := e2eListEmails(t, s, admin, url.Values{"status": {"deleted"}})
	assert.Equal(t, []string{"gone@example.com"}, got)
	assert.NotEmpty(t, e2eItems(t, r)[0]["deleted_at"])
	active, _ := e2eListEmails(t, s, admin, url.Values{"status": {"active"}})
	assert.NotContains(t, active, "off@example.com")
	assert.NotContains(t, active, "gone@example.com")
	assert.Len(t, active, 8)
	got, _ = e2eListEmails(t, s, admin, url.Values{"status": {"active"}, "role": {"admin"}})
	assert.Equal(t, []string{e2eAdminEmail}, got)

	// Paging: 10 accounts in all, 3 per page.
	_, all := e2eListEmails(t, s, admin, url.Values{})
	assert.EqualValues(t, 10, all.JSON["total"])
	assert.EqualValues(t, 1, all.JSON["page"])
	assert.EqualValues(t, 50, all.JSON["per_page"])
	seen := map[string]bool{}
	for page, want := range []int{3, 3, 3, 1, 0} {
		q := url.Values{"per_page": {"3"}, "page": {strconv.Itoa(page + 1)}}
		emails, r := e2eListEmails(t, s, admin, q)
		assert.Len(t, emails, want, "page %d", page+1)
		assert.EqualValues(t, 10, r.JSON["total"])
		assert.EqualValues(t, page+1, r.JSON["page"])
		assert.EqualValues(t, 3, r.JSON["per_page"])
		for _, e := range emails {
			assert.False(t, seen[e], "%s on two pages", e)
			seen[e] = true
		}
	}
	assert.Len(t, seen, 10)
	_, max := e2eListEmails(t, s, admin, url.Values{"per_page": {"200"}})
	assert.EqualValues(t, 200, max.JSON["per_page"])

	// Bad filters get 400 with the field named.
	for _, q := range []string{"status=gone", "role=Bad%20Role!", "page=0", "page=-1", "page=x",
		"per_page=0", "per_page=201", "q=" + strings.Repeat("a", 255)} {
		r := s.call("GET", "/v1/admin/users?"+q, admin, nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, "?%s: %s", q, r.Raw)
		assert.NotEmpty(t, r.JSON["errors"], "?%s names the field", q)
	}
}

func TestAdminManagesUsers(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings("LOGIN_MAX_FAILURES=50")...)
	admin := e2eAdminToken(t, s)
	e2eCreateRole(t, s, admin, "auditor", "audit:read")

	// Create with roles: "user" is always added.
	r := s.call("POST", "/v1/admin/users", admin, map[string]any{
		"email": "Bea@Example.com", "password": goodPassword, "name": "Bea", "roles": []string{"auditor"},
	})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	id := r.str("id")
	assert.Equal(t, "/v1/admin/users/"+id, r.Header.Get("Location"))
	assert.Equal(t, "Bea@Example.com", r.str("email"))
	assert.Equal(t, "Bea", r.str("name"))
	assert.Equal(t, "active", r.str("status"))
	assert.Equal(t, []string{"auditor", "user"}, e2eStrings(r.JSON["roles"]))
	assert.Equal(t, []string{"audit:read"}, e2eStrings(r.JSON["permissions"]))
	assert.NotContains(t, string(r.Raw), "password")

	dup := s.call("POST", "/v1/admin/users", admin, creds{"bea@example.COM", goodPassword})
	assert.Equal(t, http.StatusConflict, dup.Status, string(dup.Raw))
	for _, body := range []any{
		map[string]any{"email": "x@example.com", "password": goodPassword, "roles": []string{"ghost"}},
		map[string]any{"email": "not-an-address", "password": goodPassword},
		map[string]any{"email": "y@example.com", "password": "password"},
		map[string]any{"email": "z@example.com", "password": goodPassword, "status": "active"},
	} {
		bad := s.call("POST", "/v1/admin/users", admin, body)
		assert.Equal(t, http.StatusBadRequest, bad.Status, "%v: %s", body, bad.Raw)
	}

	// Get.
	g := s.call("GET", "/v1/admin/users/"+id, admin, nil)
	require.Equal(t, http.StatusOK, g.Status)
	assert.Equal(t, id, g.str("id"))
	assert.Equal(t, []string{"auditor", "user"}, e2eStrings(g.JSON["roles"]))
	for _, missing := range []string{e2eDummyID, "not-a-uuid"} {
		assert.Equal(t, http.StatusNotFound, s.call("GET", "/v1/admin/users/"+missing, admin, nil).Status)
		assert.Equal(t, http.StatusNotFound, s.call("PATCH", "/v1/admin/users/"+missing, admin,
			map[string]any{"name": "x"}).Status)
		assert.Equal(t, http.StatusNotFound, s.call("DELETE", "/v1/admin/users/"+missing, admin, nil).Status)
		assert.Equal(t, http.StatusNotFound, s.call("POST", "/v1/admin/users/"+missing+"/restore",
			admin, nil).Status)
		assert.Equal(t, http.StatusNotFound, s.call("PUT", "/v1/admin/users/"+missing+"/roles", admin,
			map[string]any{"roles": []string{"user"}}).Status)
	}

	// The user works with its new role.
	beaAccess, beaRefresh := s.login("bea@example.com")
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/admin/audit-events", beaAccess, nil).Status)
	assert.Equal(t, http.StatusForbidden, s.call("GET", "/v1/admin/users", beaAccess, nil).Status)

	// PATCH name; other fields are refused.
	p := s.call("PATCH", "/v1/admin/users/"+id, admin, map[string]any{"name": "Beatriz"})
	require.Equal(t, http.StatusOK, p.Status, string(p.Raw))
	assert.Equal(t, "Beatriz", p.str("name"))
	for _, body := range []string{`{"status":"deleted"}`, `{"status":"banned"}`,
		`{"email":"new@example.com"}`, `{"roles":["admin"]}`, `{"name":"` + strings.Repeat("n", 101) + `"}`} {
		bad := s.call("PATCH", "/v1/admin/users/"+id, admin, body)
		assert.Equal(t, http.StatusBadRequest, bad.Status, "%s: %s", body, bad.Raw)
	}

	// Disable: the token it holds dies, login and refresh fail like a
	// wrong password would.
	d := s.call("PATCH", "/v1/admin/users/"+id, admin, map[string]any{"status": "disabled"})
	require.Equal(t, http.StatusOK, d.Status, string(d.Raw))
	assert.Equal(t, "disabled", d.str("status"))
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", beaAccess, nil).Status)
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/admin/audit-events", beaAccess, nil).Status)
	assert.Equal(t, http.StatusUnauthorized,
		s.call("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": beaRefresh}).Status)
	disabled := s.call("POST", "/v1/auth/login", "", creds{"bea@example.com", goodPassword},
		"X-Request-Id", "cmp-disabled")
	wrong := s.call("POST", "/v1/auth/login", "", creds{"bea@example.com", "not the password at all"},
		"X-Request-Id", "cmp-disabled")
	assert.Equal(t, http.StatusUnauthorized, disabled.Status)
	assert.Equal(t, string(wrong.Raw), string(disabled.Raw), "a disabled account looks like a wrong password")
	restoreDisabled := s.call("POST", "/v1/auth/restore", "", creds{"bea@example.com", goodPassword},
		"X-Request-Id", "cmp-disabled")
	assert.Equal(t, string(wrong.Raw), string(restoreDisabled.Raw), "restore too")

	// Re-enable: old tokens stay dead, a new login works.
	e := s.call("PATCH", "/v1/admin/users/"+id, admin, map[string]any{"status": "active"})
	require.Equal(t, http.StatusOK, e.Status, string(e.Raw))
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", beaAccess, nil).Status)
	assert.Equal(t, http.StatusUnauthorized,
		s.call("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": beaRefresh}).Status)
	beaAccess, _ = s.login("bea@example.com")
	assert.Equal(t, "Beatriz", e2eMe(t, s, beaAccess).str("name"))

	// Replace roles: in force on the next request.
	rr := s.call("PUT", "/v1/admin/users/"+id+"/roles", admin, map[string]any{"roles": []string{"user"}})
	require.Equal(t, http.StatusOK, rr.Status, string(rr.Raw))
	assert.Equal(t, []string{"user"}, e2eStrings(rr.JSON["roles"]))
	assert.Empty(t, e2eStrings(rr.JSON["permissions"]))
	assert.Equal(t, http.StatusForbidden, s.call("GET", "/v1/admin/audit-events", beaAccess, nil).Status)
	for _, body := range []any{map[string]any{"roles": []string{"user", "ghost"}},
		map[string]any{"roles": []string{"Not A Role"}}} {
		nf := s.call("PUT", "/v1/admin/users/"+id+"/roles", admin, body)
		assert.Equal(t, http.StatusNotFound, nf.Status, "%v: %s", body, nf.Raw)
	}
	assert.Equal(t, http.StatusBadRequest,
		s.call("PUT", "/v1/admin/users/"+id+"/roles", admin, map[string]any{}).Status)
	assert.Equal(t, []string{"user"}, e2eStrings(e2eMe(t, s, beaAccess).JSON["roles"]),
		"a refused change changes nothing")

	// Soft delete and restore by the administrator.
	require.Equal(t, http.StatusNoContent, s.call("DELETE", "/v1/admin/users/"+id, admin, nil).Status)
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", beaAccess, nil).Status)
	gd := s.call("GET", "/v1/admin/users/"+id, admin, nil)
	require.Equal(t, http.StatusOK, gd.Status)
	assert.NotEmpty(t, gd.str("deleted_at"))
	assert.Equal(t, http.StatusBadRequest,
		s.call("DELETE", "/v1/admin/users/"+id+"?permanent=maybe", admin, nil).Status)
	rs := s.call("POST", "/v1/admin/users/"+id+"/restore", admin, nil)
	require.Equal(t, http.StatusOK, rs.Status, string(rs.Raw))
	assert.Empty(t, rs.str("deleted_at"))
	assert.Equal(t, http.StatusConflict,
		s.call("POST", "/v1/admin/users/"+id+"/restore", admin, nil).Status, "not deleted")
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", beaAccess, nil).Status,
		"restoring revives no token")
	s.login("bea@example.com")

	// Permanent deletion.
	require.Equal(t, http.StatusNoContent,
		s.call("DELETE", "/v1/admin/users/"+id+"?permanent=true", admin, nil).Status)
	assert.Equal(t, http.StatusNotFound, s.call("GET", "/v1/admin/users/"+id, admin, nil).Status)
	assert.Equal(t, http.StatusUnauthorized,
		s.call("POST", "/v1/auth/login", "", creds{"bea@example.com", goodPassword}).Status)
	purged := s.call("GET", "/v1/admin/audit-events?action=user.purge", admin, nil)
	require.Equal(t, http.StatusOK, purged.Status)
	assert.Contains(t, e2eField(e2eItems(t, purged), "target_id"), id)
}

func TestAdminManagesRolesAndPermissions(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)
	adminID := e2eMe(t, s, admin).str("id")

	builtin := []string{"audit:read", "backups:read", "backups:run", "roles:assign", "roles:manage",
		"roles:read", "users:delete", "users:read", "users:write"}
	perms := s.call("GET", "/v1/admin/permissions", admin, nil)
	require.Equal(t, http.StatusOK, perms.Status)
	names := e2eField(e2eItems(t, perms), "name")
	sort.Strings(names)
	assert.Equal(t, builtin, names)

	roles := s.call("GET", "/v1/admin/roles", admin, nil)
	require.Equal(t, http.StatusOK, roles.Status)
	byName := map[string]map[string]any{}
	for _, it := range e2eItems(t, roles) {
		byName[it["name"].(string)] = it
	}
	require.Contains(t, byName, "admin")
	require.Contains(t, byName, "user")
	assert.Equal(t, true, byName["admin"]["system"])
	assert.Equal(t, true, byName["user"]["system"])
	assert.Equal(t, builtin, e2eStrings(byName["admin"]["permissions"]))
	assert.Empty(t, e2eStrings(byName["user"]["permissions"]))

	// Create, read, describe, replace permissions.
	c := s.call("POST", "/v1/admin/roles", admin, map[string]any{"name": "support",
		"description": "Helps users", "permissions": []string{"users:read"}})
	require.Equal(t, http.StatusCreated, c.Status, string(c.Raw))
	assert.Equal(t, "support", c.str("name"))
	assert.Equal(t, "Helps users", c.str("description"))
	assert.Equal(t, false, c.JSON["system"])
	assert.Equal(t, []string{"users:read"}, e2eStrings(c.JSON["permissions"]))
	assert.Equal(t, http.StatusConflict, s.call("POST", "/v1/admin/roles", admin,
		map[string]any{"name": "support"}).Status)
	assert.Equal(t, http.StatusConflict, s.call("POST", "/v1/admin/roles", admin,
		map[string]any{"name": "admin"}).Status)
	for _, name := range []string{"Support", "has space", "", "1st", "a:b"} {
		r := s.call("POST", "/v1/admin/roles", admin, map[string]any{"name": name})
		assert.Equal(t, http.StatusBadRequest, r.Status, "role name %q: %s", name, r.Raw)
	}
	nf := s.call("POST", "/v1/admin/roles", admin, map[string]any{"name": "ghostly",
		"permissions": []string{"ghost:perm"}})
	assert.Contains(t, []int{http.StatusNotFound, http.StatusBadRequest, http.StatusForbidden}, nf.Status,
		string(nf.Raw))
	assert.Equal(t, http.StatusNotFound, s.call("GET", "/v1/admin/roles/ghostly", admin, nil).Status,
		"a refused role is not half-created")

	g := s.call("GET", "/v1/admin/roles/support", admin, nil)
	require.Equal(t, http.StatusOK, g.Status)
	assert.Equal(t, []string{"users:read"}, e2eStrings(g.JSON["permissions"]))
	assert.Equal(t, http.StatusNotFound, s.call("GET", "/v1/admin/roles/nope", admin, nil).Status)

	pd := s.call("PATCH", "/v1/admin/roles/support", admin, map[string]any{"description": "Front line"})
	require.Equal(t, http.StatusOK, pd.Status, string(pd.Raw))
	assert.Equal(t, "Front line", pd.str("description"))
	assert.Equal(t, http.StatusNotFound, s.call("PATCH", "/v1/admin/roles/nope", admin,
		map[string]any{"description": "x"}).Status)
	assert.Equal(t, http.StatusBadRequest, s.call("PATCH", "/v1/admin/roles/support", admin,
		map[string]any{"permissions": []string{}}).Status)

	sp := s.call("PUT", "/v1/admin/roles/support/permissions", admin,
		map[string]any{"permissions": []string{"users:read", "audit:read"}})
	require.Equal(t, http.StatusOK, sp.Status, string(sp.Raw))
	assert.Equal(t, []string{"audit:read", "users:read"}, e2eStrings(sp.JSON["permissions"]))
	// The contract and SetRolePermissions' doc: an unknown permission is 404.
	unknownPerm := s.call("PUT", "/v1/admin/roles/support/permissions", admin,
		map[string]any{"permissions": []string{"users:read", "ghost:perm"}})
	assert.Equal(t, http.StatusNotFound, unknownPerm.Status, "unknown permission: %s", unknownPerm.Raw)
	assert.Equal(t, http.StatusNotFound, s.call("PUT", "/v1/admin/roles/nope/permissions", admin,
		map[string]any{"permissions": []string{}}).Status)
	g = s.call("GET", "/v1/admin/roles/support", admin, nil)
	assert.Equal(t, []string{"audit:read", "users:read"}, e2eStrings(g.JSON["permissions"]),
		"a refused change changes nothing")

	// System roles can be neither changed nor deleted.
	for _, sys := range []string{"admin", "user"} {
		r := s.call("PUT", "/v1/admin/roles/"+sys+"/permissions", admin,
			map[string]any{"permissions": []string{}})
		assert.Equal(t, http.StatusConflict, r.Status, "PUT %s: %s", sys, r.Raw)
		r = s.call("DELETE", "/v1/admin/roles/"+sys, admin, nil)
		assert.Equal(t, http.StatusConflict, r.Status, "DELETE %s: %s", sys, r.Raw)
	}
	ar := s.call("GET", "/v1/admin/roles/admin", admin, nil)
	assert.Equal(t, builtin, e2eStrings(ar.JSON["permissions"]))

	// A role still assigned cannot go; once unassigned it can.
	uid := e2eCreateUser(t, s, admin, "helper@example.com", "support")
	assert.Equal(t, http.StatusConflict, s.call("DELETE", "/v1/admin/roles/support", admin, nil).Status)
	require.Equal(t, http.StatusOK, s.call("PUT", "/v1/admin/users/"+uid+"/roles", admin,
		map[string]any{"roles": []string{"user"}}).Status)
	assert.Equal(t, http.StatusNoContent, s.call("DELETE", "/v1/admin/roles/support", admin, nil).Status)
	assert.Equal(t, http.StatusNotFound, s.call("GET", "/v1/admin/roles/support", admin, nil).Status)
	assert.Equal(t, http.StatusNotFound, s.call("DELETE", "/v1/admin/roles/support", admin, nil).Status)

	// Permissions: resource:action in lower case, unique.
	cp := s.call("POST", "/v1/admin/permissions", admin,
		map[string]any{"name": "reports:read", "description": "Read reports"})
	require.Equal(t, http.StatusCreated, cp.Status, string(cp.Raw))
	assert.Equal(t, "reports:read", cp.str("name"))
	assert.Equal(t, http.StatusConflict, s.call("POST", "/v1/admin/permissions", admin,
		map[string]any{"name": "reports:read"}).Status)
	assert.Equal(t, http.StatusConflict, s.call("POST", "/v1/admin/permissions", admin,
		map[string]any{"name": "users:read"}).Status)
	for _, name := range []string{"reports", "Reports:Read", "reports:", ":read", "a b:c", "a:b:c", ""} {
		r := s.call("POST", "/v1/admin/permissions", admin, map[string]any{"name": name})
		assert.Equal(t, http.StatusBadRequest, r.Status, "permission name %q: %s", name, r.Raw)
	}
	perms = s.call("GET", "/v1/admin/permissions", admin, nil)
	assert.Contains(t, e2eField(e2eItems(t, perms), "name"), "reports:read")
	// A created permission is usable: an administrator can put it in a role.
	rep := s.call("POST", "/v1/admin/roles", admin, map[string]any{"name": "reporter",
		"permissions": []string{"reports:read"}})
	assert.Equal(t, http.StatusCreated, rep.Status, "role with a created permission: %s", rep.Raw)
	e2eCreateRole(t, s, admin, "reporter2")
	rep = s.call("PUT", "/v1/admin/roles/reporter2/permissions", admin,
		map[string]any{"permissions": []string{"reports:read"}})
	assert.Equal(t, http.StatusOK, rep.Status, "granting a created permission: %s", rep.Raw)

	// The audit trail holds these changes, filterable by actor and action.
	type want struct{ action, target string }
	for _, w := range []want{{"role.create", "support"}, {"role.update", "support"},
		{"role.permissions.set", "support"}, {"role.delete", "support"},
		{"permission.create", "reports:read"}, {"user.create", uid}, {"user.roles.set", uid},
		{"auth.login.success", adminID}} {
		r := s.call("GET", "/v1/admin/audit-events?action="+w.action, admin, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		found := false
		for _, it := range e2eItems(t, r) {
			assert.Equal(t, w.action, it["action"])
			if it["target_id"] == w.target {
				found = true
				assert.Equal(t, adminID, it["actor_id"], w.action)
				assert.NotEmpty(t, it["at"], w.action)
			}
		}
		assert.True(t, found, "no %s event for %s in %s", w.action, w.target, r.Raw)
	}
	byActor := s.call("GET", "/v1/admin/audit-events?actor="+adminID+"&per_page=2", admin, nil)
	require.Equal(t, http.StatusOK, byActor.Status, string(byActor.Raw))
	assert.Len(t, e2eItems(t, byActor), 2)
	assert.EqualValues(t, 2, byActor.JSON["per_page"])
	assert.GreaterOrEqual(t, byActor.JSON["total"], float64(8), "the changes made by the administrator")
	for _, it := range e2eItems(t, byActor) {
		assert.Equal(t, adminID, it["actor_id"])
	}
	page2 := s.call("GET", "/v1/admin/audit-events?actor="+adminID+"&per_page=2&page=2", admin, nil)
	require.Equal(t, http.StatusOK, page2.Status)
	assert.NotEqual(t, e2eItems(t, byActor)[0]["id"], e2eItems(t, page2)[0]["id"])
	none := s.call("GET", "/v1/admin/audit-events?actor="+e2eDummyID, admin, nil)
	require.Equal(t, http.StatusOK, none.Status)
	assert.EqualValues(t, 0, none.JSON["total"])
	for _, q := range []string{"actor=not-a-uuid", "page=0", "per_page=500"} {
		assert.Equal(t, http.StatusBadRequest,
			s.call("GET", "/v1/admin/audit-events?"+q, admin, nil).Status, q)
	}
}

func TestLastActiveAdminIsKept(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)
	adminID := e2eMe(t, s, admin).str("id")

	conflicts := func(who string) {
		t.Helper()
		for _, r := range []response{
			s.call("DELETE", "/v1/users/me", admin, map[string]any{"password": e2eAdminPassword}),
			s.call("DELETE", "/v1/admin/users/"+adminID, admin, nil),
			s.call("DELETE", "/v1/admin/users/"+adminID+"?permanent=true", admin, nil),
			s.call("PATCH", "/v1/admin/users/"+adminID, admin, map[string]any{"status": "disabled"}),
			s.call("PUT", "/v1/admin/users/"+adminID+"/roles", admin, map[string]any{"roles": []string{"user"}}),
			s.call("PUT", "/v1/admin/users/"+adminID+"/roles", admin, map[string]any{"roles": []string{}}),
		} {
			assert.Equal(t, http.StatusConflict, r.Status, "%s: %s", who, r.Raw)
		}
		me := e2eMe(t, s, admin)
		assert.Equal(t, "active", me.str("status"), who)
		assert.Empty(t, me.str("deleted_at"), who)
		assert.Contains(t, e2eStrings(me.JSON["roles"]), "admin", who)
	}
	conflicts("the only administrator")

	// A second administrator that is disabled or deleted does not count.
	second := e2eCreateUser(t, s, admin, "second@example.com", "admin")
	require.Equal(t, http.StatusOK, s.call("PATCH", "/v1/admin/users/"+second, admin,
		map[string]any{"status": "disabled"}).Status)
	conflicts("with a disabled second administrator")
	require.Equal(t, http.StatusOK, s.call("PATCH", "/v1/admin/users/"+second, admin,
		map[string]any{"status": "active"}).Status)
	require.Equal(t, http.StatusNoContent, s.call("DELETE", "/v1/admin/users/"+second, admin, nil).Status)
	conflicts("with a deleted second administrator")
	require.Equal(t, http.StatusOK, s.call("POST", "/v1/admin/users/"+second+"/restore", admin, nil).Status)

	// With an active second administrator, the first may step down; then
	// the second is the last one and keeps its standing in turn.
	r := s.call("PUT", "/v1/admin/users/"+adminID+"/roles", admin, map[string]any{"roles": []string{"user"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, http.StatusForbidden, s.call("GET", "/v1/admin/users", admin, nil).Status)
	admin2, _ := s.login("second@example.com")
	for _, r := range []response{
		s.call("DELETE", "/v1/users/me", admin2, map[string]any{"password": goodPassword}),
		s.call("DELETE", "/v1/admin/users/"+second, admin2, nil),
		s.call("PATCH", "/v1/admin/users/"+second, admin2, map[string]any{"status": "disabled"}),
		s.call("PUT", "/v1/admin/users/"+second+"/roles", admin2, map[string]any{"roles": []string{"user"}}),
	} {
		assert.Equal(t, http.StatusConflict, r.Status, string(r.Raw))
	}
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/admin/users", admin2, nil).Status)
}

func TestNoSelfEscalation(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)
	e2eCreateRole(t, s, admin, "delegate", "roles:assign", "users:read")
	e2eCreateRole(t, s, admin, "deleter", "users:delete")
	e2eCreateRole(t, s, admin, "reader", "users:read")
	e2eCreateRole(t, s, admin, "manager", "roles:assign", "roles:manage", "roles:read",
		"users:read", "users:write")
	delegateID := e2eCreateUser(t, s, admin, "delegate@example.com", "delegate")
	managerID := e2eCreateUser(t, s, admin, "manager@example.com", "manager")
	otherID := e2eCreateUser(t, s, admin, "other@example.com")

	delegate, _ := s.login("delegate@example.com")
	for _, roles := range [][]string{{"user", "delegate", "admin"}, {"user", "delegate", "deleter"},
		{"admin"}} {
		r := s.call("PUT", "/v1/admin/users/"+delegateID+"/roles", delegate, map[string]any{"roles": roles})
		assert.Equal(t, http.StatusForbidden, r.Status, "%v: %s", roles, r.Raw)
	}
	r := s.call("POST", "/v1/admin/roles", delegate, map[string]any{"name": "mine",
		"permissions": []string{"users:delete"}})
	assert.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
	// Granting what it holds is fine.
	r = s.call("PUT", "/v1/admin/users/"+otherID+"/roles", delegate,
		map[string]any{"roles": []string{"user", "reader"}})
	assert.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	r = s.call("PUT", "/v1/admin/users/"+otherID+"/roles", delegate,
		map[string]any{"roles": []string{"user", "deleter"}})
	assert.Equal(t, http.StatusForbidden, r.Status, "nor to another account: %s", r.Raw)
	me := e2eMe(t, s, delegate)
	assert.Equal(t, []string{"delegate", "user"}, e2eStrings(me.JSON["roles"]))
	assert.Equal(t, []string{"roles:assign", "users:read"}, e2eStrings(me.JSON["permissions"]))
	assert.Equal(t, http.StatusForbidden, s.call("DELETE", "/v1/admin/users/"+otherID, delegate, nil).Status)

	// An account that manages roles still cannot mint what it lacks.
	manager, _ := s.login("manager@example.com")
	for _, body := range []map[string]any{
		{"name": "mine", "permissions": []string{"users:delete"}},
		{"name": "mine", "permissions": []string{"users:read", "audit:read"}},
	} {
		r := s.call("POST", "/v1/admin/roles", manager, body)
		assert.Equal(t, http.StatusForbidden, r.Status, "%v: %s", body, r.Raw)
	}
	assert.Equal(t, http.StatusNotFound, s.call("GET", "/v1/admin/roles/mine", admin, nil).Status)
	r = s.call("POST", "/v1/admin/roles", manager, map[string]any{"name": "mine",
		"permissions": []string{"users:read"}})
	assert.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	r = s.call("PUT", "/v1/admin/roles/manager/permissions", manager, map[string]any{
		"permissions": []string{"roles:assign", "roles:manage", "roles:read", "users:read",
			"users:write", "users:delete"}})
	assert.Equal(t, http.StatusForbidden, r.Status, "widening its own role: %s", r.Raw)
	r = s.call("PUT", "/v1/admin/roles/mine/permissions", manager,
		map[string]any{"permissions": []string{"users:read", "audit:read"}})
	assert.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
	for _, roles := range [][]string{{"admin"}, {"deleter"}} {
		r := s.call("POST", "/v1/admin/users", manager, map[string]any{
			"email": "puppet@example.com", "password": goodPassword, "roles": roles})
		assert.Equal(t, http.StatusForbidden, r.Status, "create with %v: %s", roles, r.Raw)
		r = s.call("PUT", "/v1/admin/users/"+managerID+"/roles", manager,
			map[string]any{"roles": append([]string{"user", "manager"}, roles...)})
		assert.Equal(t, http.StatusForbidden, r.Status, "assign itself %v: %s", roles, r.Raw)
	}
	emails, _ := e2eListEmails(t, s, admin, url.Values{"q": {"puppet"}})
	assert.Empty(t, emails, "no account was created by a refused request")
	me = e2eMe(t, s, manager)
	assert.Equal(t, []string{"manager", "user"}, e2eStrings(me.JSON["roles"]))
	assert.NotContains(t, e2eStrings(me.JSON["permissions"]), "users:delete")
	ro := s.call("GET", "/v1/admin/roles/manager", admin, nil)
	assert.NotContains(t, e2eStrings(ro.JSON["permissions"]), "users:delete")
}

func TestRemovedPermissionIsInForceAtOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)
	e2eCreateRole(t, s, admin, "viewer", "users:read")
	id := e2eCreateUser(t, s, admin, "viewer@example.com", "viewer")
	viewer, _ := s.login("viewer@example.com")

	require.Equal(t, http.StatusOK, s.call("GET", "/v1/admin/users", viewer, nil).Status)
	require.Equal(t, http.StatusOK, s.call("PUT", "/v1/admin/roles/viewer/permissions", admin,
		map[string]any{"permissions": []string{}}).Status)
	assert.Equal(t, http.StatusForbidden, s.call("GET", "/v1/admin/users", viewer, nil).Status,
		"the permission is gone on the very next request")

	require.Equal(t, http.StatusOK, s.call("PUT", "/v1/admin/roles/viewer/permissions", admin,
		map[string]any{"permissions": []string{"users:read"}}).Status)
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/admin/users", viewer, nil).Status)
	require.Equal(t, http.StatusOK, s.call("PUT", "/v1/admin/users/"+id+"/roles", admin,
		map[string]any{"roles": []string{"user"}}).Status)
	assert.Equal(t, http.StatusForbidden, s.call("GET", "/v1/admin/users", viewer, nil).Status,
		"a removed role is gone on the very next request")
}

func TestTwoServersOnOneDatabase(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	key := filepath.Join(t.TempDir(), "shared-jwt.pem")
	a := startServerOn(t, db, e2eAdminSettings("JWT_DEV_KEY_FILE="+key)...)
	b := startServerOn(t, db, e2eAdminSettings("JWT_DEV_KEY_FILE="+key)...)

	adminA := e2eAdminToken(t, a)
	adminB := e2eAdminToken(t, b)
	e2eCreateRole(t, a, adminA, "viewer", "users:read")
	id := e2eCreateUser(t, b, adminB, "viewer@example.com", "viewer")

	// A token from one server works on the other (shared key and store).
	viewerA, _ := a.login("viewer@example.com")
	viewerB, _ := b.login("viewer@example.com")
	require.Equal(t, http.StatusOK, b.call("GET", "/v1/admin/users", viewerA, nil).Status)
	require.Equal(t, http.StatusOK, b.call("GET", "/v1/admin/users", viewerB, nil).Status)

	// A permission removed through A is in force on B at once.
	require.Equal(t, http.StatusOK, a.call("PUT", "/v1/admin/roles/viewer/permissions", adminA,
		map[string]any{"permissions": []string{}}).Status)
	assert.Equal(t, http.StatusForbidden, b.call("GET", "/v1/admin/users", viewerB, nil).Status)
	assert.Equal(t, http.StatusForbidden, b.call("GET", "/v1/admin/users", viewerA, nil).Status)

	// Given back through B, in force on A.
	require.Equal(t, http.StatusOK, b.call("PUT", "/v1/admin/roles/viewer/permissions", adminB,
		map[string]any{"permissions": []string{"users:read"}}).Status)
	assert.Equal(t, http.StatusOK, a.call("GET", "/v1/admin/users", viewerB, nil).Status)

	// Disabling through B ends the sessions on A; logout on A ends B's view.
	require.Equal(t, http.StatusOK, b.call("PATCH", "/v1/admin/users/"+id, adminB,
		map[string]any{"status": "disabled"}).Status)
	assert.Equal(t, http.StatusUnauthorized, a.call("GET", "/v1/users/me", viewerA, nil).Status)
	require.Equal(t, http.StatusNoContent, a.call("POST", "/v1/auth/logout", adminA, nil).Status)
	assert.Equal(t, http.StatusUnauthorized, b.call("GET", "/v1/users/me", adminA, nil).Status)
	assert.Equal(t, http.StatusOK, b.call("GET", "/v1/users/me", adminB, nil).Status)

	// One seeded administrator for two starts.
	emails, _ := e2eListEmails(t, a, adminB, url.Values{"role": {"admin"}})
	assert.Equal(t, []string{e2eAdminEmail}, emails)
}

func TestLastAdminSurvivesConcurrentDemotions(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings()...)
	first := e2eAdminToken(t, s)
	firstID := e2eMe(t, s, first).str("id")

	type move func(tok, otherID, selfPw string) response
	moves := map[string]move{
		"strip each other": func(tok, otherID, _ string) response {
			return s.call("PUT", "/v1/admin/users/"+otherID+"/roles", tok,
				map[string]any{"roles": []string{"user"}})
		},
		"disable each other": func(tok, otherID, _ string) response {
			return s.call("PATCH", "/v1/admin/users/"+otherID, tok, map[string]any{"status": "disabled"})
		},
		"delete each other": func(tok, otherID, _ string) response {
			return s.call("DELETE", "/v1/admin/users/"+otherID, tok, nil)
		},
		"delete themselves": func(tok, _, pw string) response {
			return s.call("DELETE", "/v1/users/me", tok, map[string]any{"password": pw})
		},
	}
	round := 0
	for name, mv := range moves {
		for i := 0; i < 3; i++ {
			round++
			// A fresh second administrator each round; the first one is
			// restored to full standing by the survivor when needed.
			email := "second" + strconv.Itoa(round) + "@example.com"
			secondID := e2eCreateUser(t, s, first, email, "admin")
			second, _ := s.login(email)

			var wg sync.WaitGroup
			var ra, rb response
			wg.Add(2)
			go func() { defer wg.Done(); ra = mv(first, secondID, e2eAdminPassword) }()
			go func() { defer wg.Done(); rb = mv(second, firstID, goodPassword) }()
			wg.Wait()

			ok := 0
			for _, r := range []response{ra, rb} {
				switch r.Status {
				case http.StatusOK, http.StatusNoContent:
					ok++
				case http.StatusConflict, http.StatusForbidden, http.StatusUnauthorized:
				default:
					t.Errorf("%s: unexpected %d %s", name, r.Status, r.Raw)
				}
			}
			assert.Equal(t, 1, ok, "%s round %d: exactly one may succeed (%d, %d)", name, i, ra.Status, rb.Status)

			// At least one active administrator is left, and it can act.
			survivor := ""
			for _, tok := range []string{first, second} {
				r := s.call("GET", "/v1/admin/users?role=admin&status=active", tok, nil)
				if r.Status == http.StatusOK {
					survivor = tok
					break
				}
			}
			require.NotEmpty(t, survivor, "%s: no administrator can act any more", name)
			emails, _ := e2eListEmails(t, s, survivor, url.Values{"role": {"admin"}, "status": {"active"}})
			require.Len(t, emails, 1, "%s: active administrators %v", name, emails)

			// Bring the first administrator back if it lost, then retire the second.
			if survivor != first {
				fr := s.call("POST", "/v1/admin/users/"+firstID+"/restore", survivor, nil)
				require.Contains(t, []int{http.StatusOK, http.StatusConflict}, fr.Status, string(fr.Raw))
				require.Equal(t, http.StatusOK, s.call("PATCH", "/v1/admin/users/"+firstID, survivor,
					map[string]any{"status": "active"}).Status)
				require.Equal(t, http.StatusOK, s.call("PUT", "/v1/admin/users/"+firstID+"/roles", survivor,
					map[string]any{"roles": []string{"user", "admin"}}).Status)
				first = e2eAdminToken(t, s)
			}
			require.Equal(t, http.StatusNoContent,
				s.call("DELETE", "/v1/admin/users/"+secondID+"?permanent=true", first, nil).Status)
		}
	}
}

// Permissions created at the same moment all reach the admin role, so an
// administrator can grant every one of them afterwards.
func TestConcurrentPermissionsAllReachAdmin(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)

	var wg sync.WaitGroup
	names := make([]string, 12)
	for i := range names {
		names[i] = "burst:p" + strconv.Itoa(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.call("POST", "/v1/admin/permissions", admin, map[string]any{"name": names[i]})
			assert.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		}()
	}
	wg.Wait()

	role := s.call("GET", "/v1/admin/roles/admin", admin, nil)
	require.Equal(t, http.StatusOK, role.Status, string(role.Raw))
	held, _ := role.JSON["permissions"].([]any)
	for _, n := range names {
		assert.Contains(t, held, n)
	}
	r := s.call("POST", "/v1/admin/roles", admin, map[string]any{"name": "bursty", "permissions": names})
	assert.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
}

// A role that may edit users cannot turn on the administrators above it.
func TestUserEditorsCannotActOnAdministrators(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings()...)
	admin := e2eAdminToken(t, s)
	e2eCreateRole(t, s, admin, "ops", "users:read", "users:write", "users:delete", "roles:assign")
	second := e2eCreateUser(t, s, admin, "second@example.com", "admin")
	e2eCreateUser(t, s, admin, "ops@example.com", "ops")
	peer := e2eCreateUser(t, s, admin, "peer@example.com", "ops")
	ops, _ := e2eLogin(t, s, "ops@example.com", goodPassword)

	for _, c := range []e2eAdminRoute{
		{"PATCH", "/v1/admin/users/" + second, map[string]any{"status": "disabled"}},
		{"PATCH", "/v1/admin/users/" + second, map[string]any{"name": "pwned"}},
		{"PUT", "/v1/admin/users/" + second + "/roles", map[string]any{"roles": []string{}}},
		{"DELETE", "/v1/admin/users/" + second, nil},
		{"DELETE", "/v1/admin/users/" + second + "?permanent=true", nil},
	} {
		r := s.call(c.method, c.path, ops, c.body)
		assert.Equal(t, http.StatusForbidden, r.Status, "%s %s: %s", c.method, c.path, r.Raw)
		assert.Equal(t, "outranked", r.str("code"), "%s %s", c.method, c.path)
	}
	got := s.call("GET", "/v1/admin/users/"+second, admin, nil)
	require.Equal(t, http.StatusOK, got.Status)
	assert.Equal(t, "active", got.str("status"))
	assert.Equal(t, []string{"admin", "user"}, e2eStrings(got.JSON["roles"]))

	r := s.call("PATCH", "/v1/admin/users/"+peer, ops, map[string]any{"status": "disabled"})
	assert.Equal(t, http.StatusOK, r.Status, "a peer may be managed: %s", r.Raw)
}
