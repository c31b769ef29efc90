//go:build integration

package test

import (
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// e2eMail is one .eml file the service wrote in file mail mode.
type e2eMail struct {
	File    string
	To      string
	Subject string
	Body    string
}

type e2eHeader interface{ Get(string) string }

// e2eDecodeBody returns the text of a message body, undoing
// quoted-printable or base64 and walking multipart bodies.
func e2eDecodeBody(t *testing.T, h e2eHeader, r io.Reader) string {
	t.Helper()
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		var sb strings.Builder
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			sb.WriteString(e2eDecodeBody(t, p.Header, p)) // NextPart undoes quoted-printable
		}
		return sb.String()
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	raw, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(raw)
}

// e2eReadMails parses every .eml file in dir, oldest first.
func e2eReadMails(t *testing.T, dir string) []e2eMail {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var out []e2eMail
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		msg, err := mail.ReadMessage(f)
		require.NoError(t, err, e.Name())
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		require.NoError(t, err)
		m := e2eMail{File: e.Name(), Subject: subject, Body: e2eDecodeBody(t, msg.Header, msg.Body)}
		if to, err := msg.Header.AddressList("To"); err == nil && len(to) == 1 {
			m.To = to[0].Address
		}
		f.Close()
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// e2eMailsTo returns the mails written to the address to.
func e2eMailsTo(t *testing.T, dir, to string) []e2eMail {
	t.Helper()
	var out []e2eMail
	for _, m := range e2eReadMails(t, dir) {
		if strings.EqualFold(m.To, to) {
			out = append(out, m)
		}
	}
	return out
}

// e2eAwaitMails waits until at least n mails to the address to exist and
// returns them; mail can be written after the answer.
func e2eAwaitMails(t *testing.T, dir, to string, n int) []e2eMail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := e2eMailsTo(t, dir, to)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %d mails to %s, have %d: %+v", n, to, len(got), got)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// e2eSubjects lists the subjects of mails.
func e2eSubjects(ms []e2eMail) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Subject
	}
	return out
}

// e2eResetLink finds the reset link in a mail body and returns it with
// its token.
func e2eResetLink(t *testing.T, m e2eMail) (*url.URL, string) {
	t.Helper()
	for _, line := range strings.Split(m.Body, "\n") {
		line = strings.TrimSpace(line)
		if !strings.Contains(line, "token=") {
			continue
		}
		u, err := url.Parse(line[strings.Index(line, "http"):])
		require.NoError(t, err, line)
		tok := u.Query().Get("token")
		require.NotEmpty(t, tok, line)
		return u, tok
	}
	t.Fatalf("no reset link in mail %s:\n%s", m.File, m.Body)
	return nil, ""
}

// e2eForgotToken asks for a reset of email and returns the token of the
// n-th reset mail to that address.
func e2eForgotToken(t *testing.T, s *server, dir, email string, n int) string {
	t.Helper()
	r := s.call("POST", "/v1/auth/password/forgot", "", map[string]string{"email": email})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Raw))
	var links []e2eMail
	deadline := time.Now().Add(10 * time.Second)
	for len(links) < n {
		links = links[:0]
		for _, m := range e2eMailsTo(t, dir, email) {
			if m.Subject == "Reset your password" {
				links = append(links, m)
			}
		}
		if len(links) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reset mail number %d to %s", n, email)
		}
		time.Sleep(25 * time.Millisecond)
	}
	_, tok := e2eResetLink(t, links[n-1])
	return tok
}

func e2eRefresh(s *server, refresh string) int {
	return s.call("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}).Status
}

func TestDeleteOwnAccountAndRestoreInWindow(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	s := startServer(t, e2eAdminSettings("MAIL_DIR="+dir, "LOGIN_MAX_FAILURES=50",
		"SENSITIVE_MAX_REQUESTS=50")...)
	admin := e2eAdminToken(t, s)
	const email = "leaver@example.com"
	s.register(email)
	a1, r1 := s.login(email)
	a2, r2 := s.login(email)
	id := e2eMe(t, s, a1).str("id")
	resetToken := e2eForgotToken(t, s, dir, email, 1)

	wrongPw := s.call("DELETE", "/v1/users/me", a1, map[string]any{"password": "not my password at all"})
	assert.Equal(t, http.StatusUnauthorized, wrongPw.Status, string(wrongPw.Raw))
	assert.Equal(t, http.StatusBadRequest, s.call("DELETE", "/v1/users/me", a1, nil).Status)
	e2eMe(t, s, a1) // still there

	require.Equal(t, http.StatusNoContent,
		s.call("DELETE", "/v1/users/me", a1, map[string]any{"password": goodPassword}).Status)

	// Every token it holds dies at once.
	for _, tok := range []string{a1, a2} {
		assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", tok, nil).Status)
		assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me/sessions", tok, nil).Status)
	}
	assert.Equal(t, http.StatusUnauthorized, e2eRefresh(s, r1))
	assert.Equal(t, http.StatusUnauthorized, e2eRefresh(s, r2))
	reset := func() int {
		return s.call("POST", "/v1/auth/password/reset", "",
			map[string]string{"token": resetToken, "new_password": "a sneaky new passphrase"}).Status
	}
	assert.Equal(t, http.StatusUnauthorized, reset(), "deletion kills reset tokens")

	// Login fails exactly like a wrong password or an unknown address.
	deleted := s.call("POST", "/v1/auth/login", "", creds{email, goodPassword}, "X-Request-Id", "cmp-del")
	wrong := s.call("POST", "/v1/auth/login", "", creds{email, "not my password at all"},
		"X-Request-Id", "cmp-del")
	unknown := s.call("POST", "/v1/auth/login", "", creds{"nobody@example.com", goodPassword},
		"X-Request-Id", "cmp-del")
	assert.Equal(t, http.StatusUnauthorized, deleted.Status)
	assert.Equal(t, string(wrong.Raw), string(deleted.Raw))
	assert.Equal(t, string(unknown.Raw), string(deleted.Raw))

	// The address stays reserved; a deleted account gets no reset mail.
	assert.Equal(t, http.StatusConflict,
		s.call("POST", "/v1/auth/register", "", creds{email, goodPassword}).Status)
	require.Equal(t, http.StatusAccepted,
		s.call("POST", "/v1/auth/password/forgot", "", map[string]string{"email": email}).Status)

	g := s.call("GET", "/v1/admin/users/"+id, admin, nil)
	require.Equal(t, http.StatusOK, g.Status)
	assert.NotEmpty(t, g.str("deleted_at"))

	// Restore refuses like login; with the password it brings the account back.
	rw := s.call("POST", "/v1/auth/restore", "", creds{email, "not my password at all"},
		"X-Request-Id", "cmp-del")
	assert.Equal(t, http.StatusUnauthorized, rw.Status)
	assert.Equal(t, string(wrong.Raw), string(rw.Raw))
	ru := s.call("POST", "/v1/auth/restore", "", creds{"nobody@example.com", goodPassword},
		"X-Request-Id", "cmp-del")
	assert.Equal(t, string(wrong.Raw), string(ru.Raw))

	time.Sleep(300 * time.Millisecond) // let the forgot request above finish its work
	ok := s.call("POST", "/v1/auth/restore", "", creds{email, goodPassword})
	require.Equal(t, http.StatusOK, ok.Status, string(ok.Raw))
	assert.Equal(t, "Bearer", ok.str("token_type"))
	assert.NotEmpty(t, ok.str("refresh_token"))
	me := e2eMe(t, s, ok.str("access_token"))
	assert.Equal(t, id, me.str("id"))
	assert.Empty(t, me.str("deleted_at"))
	assert.Equal(t, "active", me.str("status"))

	// Tokens from before the deletion stay dead; login works again.
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", a2, nil).Status)
	assert.Equal(t, http.StatusUnauthorized, e2eRefresh(s, r2))
	s.login(email)
	assert.Equal(t, http.StatusUnauthorized, reset(), "restoring revives no reset token")

	// Mail: deletion and restore, and no reset link for the deleted account.
	assert.Equal(t, []string{"Reset your password", "Your account was deleted", "Your account was restored"},
		e2eSubjects(e2eAwaitMails(t, dir, email, 3)))

	fails := s.call("GET", "/v1/admin/audit-events?action=auth.login.failure", admin, nil)
	require.Equal(t, http.StatusOK, fails.Status)
	assert.Contains(t, e2eField(e2eItems(t, fails), "target_id"), id, "failed logins are audited")
	for _, action := range []string{"user.delete", "user.restore"} {
		r := s.call("GET", "/v1/admin/audit-events?action="+action+"&actor="+id, admin, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		assert.Equal(t, []string{id}, e2eField(e2eItems(t, r), "target_id"), action)
	}
}

func TestRestoreAfterWindowIsGone(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	s := startServer(t, e2eAdminSettings("MAIL_DIR="+dir, "ACCOUNT_RESTORE_WINDOW=1s",
		"PURGE_INTERVAL=1h")...)
	admin := e2eAdminToken(t, s)
	const email = "late@example.com"
	s.register(email)
	access, _ := s.login(email)
	id := e2eMe(t, s, access).str("id")
	require.Equal(t, http.StatusNoContent,
		s.call("DELETE", "/v1/users/me", access, map[string]any{"password": goodPassword}).Status)
	time.Sleep(1300 * time.Millisecond)

	r := s.call("POST", "/v1/auth/restore", "", creds{email, goodPassword})
	assert.Equal(t, http.StatusGone, r.Status, string(r.Raw))
	assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	r = s.call("POST", "/v1/auth/restore", "", creds{email, "not my password at all"})
	assert.Equal(t, http.StatusUnauthorized, r.Status, "the window is told only to the owner")
	assert.Equal(t, http.StatusUnauthorized,
		s.call("POST", "/v1/auth/login", "", creds{email, goodPassword}).Status)
	assert.Equal(t, http.StatusGone,
		s.call("POST", "/v1/admin/users/"+id+"/restore", admin, nil).Status)
	g := s.call("GET", "/v1/admin/users/"+id, admin, nil)
	require.Equal(t, http.StatusOK, g.Status, "not purged: PURGE_INTERVAL is long")
	assert.NotEmpty(t, g.str("deleted_at"))

	require.Equal(t, http.StatusAccepted,
		s.call("POST", "/v1/auth/password/forgot", "", map[string]string{"email": email}).Status)
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, []string{"Your account was deleted"}, e2eSubjects(e2eMailsTo(t, dir, email)),
		"no reset link and no restore mail")
}

func TestPurgeAfterRestoreWindow(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eAdminSettings("ACCOUNT_RESTORE_WINDOW=2s", "PURGE_INTERVAL=500ms")...)
	admin := e2eAdminToken(t, s)
	const email = "purged@example.com"
	s.register(email)
	s.register("stays@example.com")
	access, _ := s.login(email)
	id := e2eMe(t, s, access).str("id")
	stays, _ := s.login("stays@example.com")
	require.Equal(t, http.StatusNoContent,
		s.call("DELETE", "/v1/users/me", access, map[string]any{"password": goodPassword}).Status)
	require.Equal(t, http.StatusOK, s.call("GET", "/v1/admin/users/"+id, admin, nil).Status,
		"kept during the window")

	deadline := time.Now().Add(15 * time.Second)
	for s.call("GET", "/v1/admin/users/"+id, admin, nil).Status != http.StatusNotFound {
		require.True(t, time.Now().Before(deadline), "account not purged 15s after deletion")
		time.Sleep(100 * time.Millisecond)
	}

	// Gone for good: like an unknown account everywhere, and its address is free.
	assert.Equal(t, http.StatusUnauthorized,
		s.call("POST", "/v1/auth/restore", "", creds{email, goodPassword}).Status)
	assert.Equal(t, http.StatusUnauthorized,
		s.call("POST", "/v1/auth/login", "", creds{email, goodPassword}).Status)
	emails, _ := e2eListEmails(t, s, admin, url.Values{"q": {"purged"}})
	assert.Empty(t, emails)
	again := s.call("POST", "/v1/auth/register", "", creds{email, goodPassword})
	require.Equal(t, http.StatusCreated, again.Status, string(again.Raw))
	assert.NotEqual(t, id, again.str("id"))

	// Other accounts are untouched.
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/users/me", stays, nil).Status)

	// The audit trail still names the purged account.
	byActor := s.call("GET", "/v1/admin/audit-events?actor="+id, admin, nil)
	require.Equal(t, http.StatusOK, byActor.Status, string(byActor.Raw))
	actions := e2eField(e2eItems(t, byActor), "action")
	assert.Contains(t, actions, "auth.login.success")
	assert.Contains(t, actions, "user.delete")
	purge := s.call("GET", "/v1/admin/audit-events?action=user.purge", admin, nil)
	require.Equal(t, http.StatusOK, purge.Status)
	assert.Equal(t, []string{id}, e2eField(e2eItems(t, purge), "target_id"))
}

func TestPasswordChangeRevokesOtherSessions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	s := startServer(t, e2eAdminSettings("MAIL_DIR="+dir, "LOGIN_MAX_FAILURES=50")...)
	const email = "changer@example.com"
	const newPassword = "a completely new passphrase"
	s.register(email)
	a, ra := s.login(email)
	b, rb := s.login(email)
	c, rc := s.login(email)

	change := func(current, next string) response {
		return s.call("POST", "/v1/users/me/password", a,
			map[string]string{"current_password": current, "new_password": next})
	}
	assert.Equal(t, http.StatusUnauthorized, change("not my password at all", newPassword).Status)
	for _, weak := range []string{"password", "short", email, strings.Repeat("x", 257)} {
		r := change(goodPassword, weak)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%q: %s", weak, r.Raw)
	}
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/users/me", b, nil).Status, "refusals revoke nothing")
	assert.Empty(t, e2eMailsTo(t, dir, email))

	require.Equal(t, http.StatusNoContent, change(goodPassword, newPassword).Status)
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/users/me", a, nil).Status, "current session stays")
	for _, tok := range []string{b, c} {
		assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", tok, nil).Status)
	}
	assert.Equal(t, http.StatusUnauthorized, e2eRefresh(s, rb))
	assert.Equal(t, http.StatusUnauthorized, e2eRefresh(s, rc))
	assert.Equal(t, http.StatusOK, e2eRefresh(s, ra))
	list := s.call("GET", "/v1/users/me/sessions", a, nil)
	require.Equal(t, http.StatusOK, list.Status)
	assert.Len(t, e2eItems(t, list), 1)

	assert.Equal(t, http.StatusUnauthorized,
		s.call("POST", "/v1/auth/login", "", creds{email, goodPassword}).Status)
	e2eLogin(t, s, email, newPassword)

	assert.Equal(t, []string{"Your password was changed"}, e2eSubjects(e2eAwaitMails(t, dir, email, 1)))
	admin := e2eAdminToken(t, s)
	ev := s.call("GET", "/v1/admin/audit-events?action=auth.password.change", admin, nil)
	require.Equal(t, http.StatusOK, ev.Status)
	assert.Len(t, e2eItems(t, ev), 1)
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	s := startServer(t, e2eAdminSettings("MAIL_DIR="+dir, "SENSITIVE_MAX_REQUESTS=50",
		"LOGIN_MAX_FAILURES=50")...)
	const email = "forgetful@example.com"
	const newPassword = "a freshly chosen passphrase"
	s.register(email)
	oldAccess, oldRefresh := s.login(email)

	// Known, unknown and malformed addresses get the same answer.
	forgot := func(addr string) response {
		return s.call("POST", "/v1/auth/password/forgot", "", map[string]string{"email": addr},
			"X-Request-Id", "cmp-forgot")
	}
	known, unknown, junk := forgot(email), forgot("nobody@example.com"), forgot("not an address")
	for _, r := range []response{known, unknown, junk} {
		assert.Equal(t, http.StatusAccepted, r.Status, string(r.Raw))
		assert.Equal(t, string(known.Raw), string(r.Raw))
		assert.Equal(t, "cmp-forgot", r.Header.Get("X-Request-Id"))
		h, k := r.Header.Clone(), known.Header.Clone()
		h.Del("Date")
		k.Del("Date")
		assert.Equal(t, k, h, "headers other than Date are identical")
	}
	mails := e2eAwaitMails(t, dir, email, 1)
	time.Sleep(300 * time.Millisecond)
	all := e2eReadMails(t, dir)
	require.Len(t, all, 1, "one mail, to the known address only: %+v", all)
	assert.Equal(t, "Reset your password", mails[0].Subject)
	link, token := e2eResetLink(t, mails[0])
	assert.Equal(t, "/reset-password", link.Path)

	// A mail scanner opening the link, or a GET on the API route, uses nothing.
	for _, p := range []string{link.Path + "?" + link.RawQuery,
		"/v1/auth/password/reset?token=" + url.QueryEscape(token)} {
		r := s.call("GET", p, "", nil)
		assert.NotEqual(t, http.StatusNoContent, r.Status, p)
		assert.Less(t, r.Status, 500, p)
	}

	// A weak password is refused without using the token up.
	weak := s.call("POST", "/v1/auth/password/reset", "",
		map[string]string{"token": token, "new_password": "password"})
	assert.Equal(t, http.StatusBadRequest, weak.Status, string(weak.Raw))
	assert.Contains(t, string(weak.Raw), "new_password")
	bad := s.call("POST", "/v1/auth/password/reset", "",
		map[string]string{"token": token + "x", "new_password": newPassword})
	assert.Equal(t, http.StatusUnauthorized, bad.Status, string(bad.Raw))

	// Several uses at once: exactly one wins.
	const n = 6
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = s.call("POST", "/v1/auth/password/reset", "",
				map[string]string{"token": token, "new_password": newPassword}).Status
		}(i)
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	require.Equal(t, map[int]int{http.StatusNoContent: 1, http.StatusUnauthorized: n - 1}, count)
	again := s.call("POST", "/v1/auth/password/reset", "",
		map[string]string{"token": token, "new_password": "yet another passphrase"})
	assert.Equal(t, http.StatusUnauthorized, again.Status, "single use: %s", again.Raw)

	// Every session ended; only the new password works.
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", oldAccess, nil).Status)
	assert.Equal(t, http.StatusUnauthorized, e2eRefresh(s, oldRefresh))
	assert.Equal(t, http.StatusUnauthorized,
		s.call("POST", "/v1/auth/login", "", creds{email, goodPassword}).Status)
	access, _ := e2eLogin(t, s, email, newPassword)
	got := e2eAwaitMails(t, dir, email, 2)
	assert.Equal(t, []string{"Reset your password", "Your password was reset"}, e2eSubjects(got))

	// A newer request kills the older token.
	t1 := e2eForgotToken(t, s, dir, email, 2)
	t2 := e2eForgotToken(t, s, dir, email, 3)
	assert.Equal(t, http.StatusUnauthorized, s.call("POST", "/v1/auth/password/reset", "",
		map[string]string{"token": t1, "new_password": "passphrase number three"}).Status)
	// A password change by another route kills the live one.
	require.Equal(t, http.StatusNoContent, s.call("POST", "/v1/users/me/password", access,
		map[string]string{"current_password": newPassword, "new_password": "passphrase number four"}).Status)
	assert.Equal(t, http.StatusUnauthorized, s.call("POST", "/v1/auth/password/reset", "",
		map[string]string{"token": t2, "new_password": "passphrase number five"}).Status)

	// Disabling the account kills its token and stops new ones.
	admin := e2eAdminToken(t, s)
	t3 := e2eForgotToken(t, s, dir, email, 4)
	id := e2eMe(t, s, access).str("id")
	require.Equal(t, http.StatusOK, s.call("PATCH", "/v1/admin/users/"+id, admin,
		map[string]any{"status": "disabled"}).Status)
	assert.Equal(t, http.StatusUnauthorized, s.call("POST", "/v1/auth/password/reset", "",
		map[string]string{"token": t3, "new_password": "passphrase number six"}).Status)
	before := len(e2eMailsTo(t, dir, email))
	require.Equal(t, http.StatusAccepted, forgot(email).Status)
	time.Sleep(300 * time.Millisecond)
	assert.Len(t, e2eMailsTo(t, dir, email), before, "no reset mail for a disabled account")

	ev := s.call("GET", "/v1/admin/audit-events?action=auth.password.reset", admin, nil)
	require.Equal(t, http.StatusOK, ev.Status)
	assert.Equal(t, []string{id}, e2eField(e2eItems(t, ev), "target_id"))
}

func TestResetTokenExpires(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	s := startServer(t, "MAIL_DIR="+dir, "RESET_TOKEN_TTL=1s")
	s.register("slow@example.com")
	token := e2eForgotToken(t, s, dir, "slow@example.com", 1)
	time.Sleep(1200 * time.Millisecond)
	r := s.call("POST", "/v1/auth/password/reset", "",
		map[string]string{"token": token, "new_password": "a late new passphrase"})
	assert.Equal(t, http.StatusUnauthorized, r.Status, string(r.Raw))
	s.login("slow@example.com")
}

// e2eThrottledAt sends attempt(i) up to 30 times and returns the index of
// the first 429, checking its Retry-After, or -1; every earlier answer
// must be want.
func e2eThrottledAt(t *testing.T, want int, attempt func(i int) response) int {
	t.Helper()
	for i := 0; i < 30; i++ {
		r := attempt(i)
		if r.Status == http.StatusTooManyRequests {
			secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
			assert.NoError(t, err, "Retry-After %q", r.Header.Get("Retry-After"))
			assert.GreaterOrEqual(t, secs, 1)
			assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
			return i
		}
		require.Equal(t, want, r.Status, "attempt %d: %s", i+1, r.Raw)
	}
	return -1
}

func e2eXFF(a, b, c int) []string {
	return []string{"X-Forwarded-For", "10." + strconv.Itoa(a) + "." + strconv.Itoa(b) + "." + strconv.Itoa(c)}
}

func TestFailedLoginsAreThrottled(t *testing.T) {
	t.Parallel()
	s := startServer(t, "TRUSTED_PROXIES=127.0.0.1/32,::1/128")
	s.register("victim@example.com")
	s.register("bystander@example.com")

	// Plain: 30 wrong passwords from one client.
	plain := e2eThrottledAt(t, http.StatusUnauthorized, func(int) response {
		return s.call("POST", "/v1/auth/login", "", creds{"victim@example.com", "wrong password 123"})
	})
	assert.True(t, plain >= 0 && plain < 29, "throttled at attempt %d", plain+1)

	// Per account, whatever the client address; also for a correct password.
	perAcct := e2eThrottledAt(t, http.StatusUnauthorized, func(i int) response {
		return s.call("POST", "/v1/auth/login", "", creds{"bystander@example.com", "wrong password 123"},
			e2eXFF(1, 0, i+1)...)
	})
	assert.True(t, perAcct >= 0 && perAcct < 29, "per account: throttled at attempt %d", perAcct+1)
	r := s.call("POST", "/v1/auth/login", "", creds{"bystander@example.com", goodPassword}, e2eXFF(1, 1, 1)...)
	assert.Equal(t, http.StatusTooManyRequests, r.Status, "a throttled account refuses even the right password")

	// An unknown address is throttled the same way, so 429 reveals nothing.
	ghost := e2eThrottledAt(t, http.StatusUnauthorized, func(i int) response {
		return s.call("POST", "/v1/auth/login", "", creds{"ghost@example.com", "wrong password 123"},
			e2eXFF(2, 0, i+1)...)
	})
	assert.Equal(t, perAcct, ghost)

	// Per client address, across accounts.
	s.register("other@example.com")
	perIP := e2eThrottledAt(t, http.StatusUnauthorized, func(i int) response {
		return s.call("POST", "/v1/auth/login", "",
			creds{"spray" + strconv.Itoa(i) + "@example.com", "wrong password 123"}, e2eXFF(3, 3, 3)...)
	})
	assert.True(t, perIP >= 0 && perIP < 29, "per address: throttled at attempt %d", perIP+1)
	r = s.call("POST", "/v1/auth/login", "", creds{"other@example.com", goodPassword}, e2eXFF(3, 3, 3)...)
	assert.Equal(t, http.StatusTooManyRequests, r.Status)
	e2eLogin(t, s, "other@example.com", goodPassword, e2eXFF(4, 4, 4)...)
}

func TestSensitiveRoutesAreThrottled(t *testing.T) {
	t.Parallel()
	s := startServer(t, "TRUSTED_PROXIES=127.0.0.1/32,::1/128", "SENSITIVE_MAX_REQUESTS=3")
	s.register("known@example.com")

	// forgot: per address asked for, known or not, from any client.
	for j, email := range []string{"known@example.com", "unknown@example.com"} {
		at := e2eThrottledAt(t, http.StatusAccepted, func(i int) response {
			return s.call("POST", "/v1/auth/password/forgot", "", map[string]string{"email": email},
				e2eXFF(10+j, 0, i+1)...)
		})
		assert.Equal(t, 3, at, "forgot for %s throttled after SENSITIVE_MAX_REQUESTS", email)
	}
	// forgot: per client, across addresses.
	at := e2eThrottledAt(t, http.StatusAccepted, func(i int) response {
		return s.call("POST", "/v1/auth/password/forgot", "",
			map[string]string{"email": "x" + strconv.Itoa(i) + "@example.com"}, e2eXFF(20, 0, 1)...)
	})
	assert.Equal(t, 3, at)

	// reset: per client.
	at = e2eThrottledAt(t, http.StatusUnauthorized, func(i int) response {
		return s.call("POST", "/v1/auth/password/reset", "",
			map[string]string{"token": "bogus" + strconv.Itoa(i), "new_password": "a new passphrase"},
			e2eXFF(30, 0, 1)...)
	})
	assert.Equal(t, 3, at)

	// restore: per client.
	at = e2eThrottledAt(t, http.StatusUnauthorized, func(i int) response {
		return s.call("POST", "/v1/auth/restore", "", creds{"known@example.com", "wrong password 123"},
			e2eXFF(40, 0, 1)...)
	})
	assert.Equal(t, 3, at)

	// Default limit (5) on a fresh server, from one client.
	d := startServer(t)
	at = e2eThrottledAt(t, http.StatusAccepted, func(int) response {
		return d.call("POST", "/v1/auth/password/forgot", "", map[string]string{"email": "a@example.com"})
	})
	assert.Equal(t, 5, at)
}

// Attempts sent all at once are counted before they are judged, so a
// burst gets no more through than the same attempts one by one.
func TestRacingAttemptsStayInsideTheLimits(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.register("racer@example.com")

	burst := func(n int, call func(i int) response) map[int]int {
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			counts = map[int]int{}
			start  = make(chan struct{})
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := call(i)
				mu.Lock()
				counts[r.Status]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		return counts
	}

	logins := burst(40, func(i int) response {
		return s.call("POST", "/v1/auth/login", "",
			creds{"racer@example.com", "wrong guess " + strconv.Itoa(i)})
	})
	assert.Equal(t, map[int]int{http.StatusUnauthorized: 5, http.StatusTooManyRequests: 35}, logins)

	forgots := burst(20, func(int) response {
		return s.call("POST", "/v1/auth/password/forgot", "", map[string]string{"email": "racer@example.com"})
	})
	assert.Equal(t, map[int]int{http.StatusAccepted: 5, http.StatusTooManyRequests: 15}, forgots)
}

// Logins racing a change that ends every session never leave a session
// behind: whatever the timing, each token they got is refused afterwards.
func TestLoginsRacingARevocationLeaveNoSession(t *testing.T) {
	t.Parallel()
	s := startServer(t, append(e2eAdminSettings(), "LOGIN_MAX_FAILURES=100")...)
	admin := e2eAdminToken(t, s)

	// race logs in 8 times at once while change runs, then runs after (a
	// re-enable, a restore) and checks every token the logins got.
	race := func(t *testing.T, email string, change, after func()) {
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			tokens []string
		)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := s.call("POST", "/v1/auth/login", "", creds{email, goodPassword})
				if r.Status == http.StatusOK {
					mu.Lock()
					tokens = append(tokens, r.str("access_token"))
					mu.Unlock()
				}
			}()
		}
		time.Sleep(5 * time.Millisecond)
		change()
		wg.Wait()
		after()
		for _, tok := range tokens {
			assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", tok, nil).Status,
				"a login that raced the change kept a session")
		}
	}

	t.Run("password change", func(t *testing.T) {
		s.register("pw@example.com")
		own, _ := s.login("pw@example.com")
		race(t, "pw@example.com", func() {
			r := s.call("POST", "/v1/users/me/password", own,
				map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"})
			require.Equal(t, http.StatusNoContent, r.Status, string(r.Raw))
		}, func() {})
	})
	t.Run("disable then enable", func(t *testing.T) {
		id := e2eCreateUser(t, s, admin, "off@example.com")
		race(t, "off@example.com", func() {
			r := s.call("PATCH", "/v1/admin/users/"+id, admin, map[string]any{"status": "disabled"})
			require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		}, func() {
			r := s.call("PATCH", "/v1/admin/users/"+id, admin, map[string]any{"status": "active"})
			require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		})
	})
	t.Run("delete then restore", func(t *testing.T) {
		id := e2eCreateUser(t, s, admin, "gone@example.com")
		race(t, "gone@example.com", func() {
			r := s.call("DELETE", "/v1/admin/users/"+id, admin, nil)
			require.Equal(t, http.StatusNoContent, r.Status, string(r.Raw))
		}, func() {
			r := s.call("POST", "/v1/admin/users/"+id+"/restore", admin, nil)
			require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		})
	})
}

func TestOwnerIsMailedOnAccountChanges(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	s := startServer(t, e2eAdminSettings("MAIL_DIR="+dir, "SENSITIVE_MAX_REQUESTS=50")...)
	const email = "owner@example.com"
	s.register(email)
	access, _ := s.login(email)
	id := e2eMe(t, s, access).str("id")

	require.Equal(t, http.StatusNoContent, s.call("POST", "/v1/users/me/password", access,
		map[string]string{"current_password": goodPassword, "new_password": "second passphrase here"}).Status)
	token := e2eForgotToken(t, s, dir, email, 1)
	require.Equal(t, http.StatusNoContent, s.call("POST", "/v1/auth/password/reset", "",
		map[string]string{"token": token, "new_password": goodPassword}).Status)
	access, _ = s.login(email)
	require.Equal(t, http.StatusNoContent,
		s.call("DELETE", "/v1/users/me", access, map[string]any{"password": goodPassword}).Status)
	require.Equal(t, http.StatusOK,
		s.call("POST", "/v1/auth/restore", "", creds{email, goodPassword}).Status)

	// The same two by an administrator.
	admin := e2eAdminToken(t, s)
	require.Equal(t, http.StatusNoContent, s.call("DELETE", "/v1/admin/users/"+id, admin, nil).Status)
	require.Equal(t, http.StatusOK, s.call("POST", "/v1/admin/users/"+id+"/restore", admin, nil).Status)

	want := []string{"Your password was changed", "Reset your password", "Your password was reset",
		"Your account was deleted", "Your account was restored",
		"Your account was deleted", "Your account was restored"}
	got := e2eAwaitMails(t, dir, email, len(want))
	assert.Equal(t, want, e2eSubjects(got))
	for _, m := range got {
		assert.NotContains(t, m.Body, goodPassword, "no mail carries a password")
	}
	assert.Len(t, e2eReadMails(t, dir), len(want), "nobody else was mailed")
}
