package application_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports"
)

// fxAccount registers email with goodPassword, gives it the roles named
// (on top of "user") straight in the store, logs in from the usual test
// client and returns the account, its tokens and its principal.
func fxAccount(t *testing.T, e *env, email string, roles ...string) (
	domain.User, application.TokenPair, application.Principal,
) {
	t.Helper()
	u := e.register(t, email)
	if len(roles) > 0 {
		all := append([]string{domain.RoleUser}, roles...)
		require.NoError(t, e.users.SetRoles(t.Context(), u.ID, all))
	}
	pair, p := e.login(t, email)
	p.IP = "203.0.113.7"
	u, err := e.users.ByID(t.Context(), u.ID)
	require.NoError(t, err)
	return u, pair, p
}

// fxAdmin returns an administrator principal for email.
func fxAdmin(t *testing.T, e *env, email string) (domain.User, application.Principal) {
	t.Helper()
	u, _, p := fxAccount(t, e, email, domain.RoleAdmin)
	return u, p
}

// fxRole creates a custom role holding perms straight in the role store.
func fxRole(t *testing.T, e *env, name string, perms ...string) {
	t.Helper()
	require.NoError(t, e.roles.CreateRole(t.Context(), domain.Role{
		Name:        name,
		Permissions: perms,
	}))
}

// fxClient is a request origin at ip.
func fxClient(ip string) application.Client {
	return application.Client{IP: ip, UserAgent: "test-agent"}
}

// fxLogin logs in with password from ip.
func fxLogin(t *testing.T, e *env, email, password, ip string) (application.TokenPair, error) {
	t.Helper()
	return e.auth.Login(t.Context(), email, password, fxClient(ip))
}

// fxMailsTo returns the messages sent to addr so far.
func fxMailsTo(e *env, addr string) []ports.MailMessage {
	var out []ports.MailMessage
	for _, m := range e.mailer.Messages() {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

// fxEvents returns the audit events with action, in order.
func fxEvents(e *env, action string) []domain.AuditEvent {
	var out []domain.AuditEvent
	for _, ev := range e.audit.Events {
		if ev.Action == action {
			out = append(out, ev)
		}
	}
	return out
}

// fxResetToken asks for a reset of email and returns the token of the
// link mailed for it.
func fxResetToken(t *testing.T, e *env, email string) string {
	t.Helper()
	before := len(e.mailer.Messages())
	require.NoError(t, e.auth.ForgotPassword(t.Context(), email, fxClient("198.51.100.9")))
	msgs := e.mailer.Messages()
	require.Len(t, msgs, before+1, "one reset mail")
	return fxTokenInBody(t, msgs[len(msgs)-1].Body)
}

// fxTokenInBody finds the reset link in a mail body and returns its token.
func fxTokenInBody(t *testing.T, body string) string {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if !strings.Contains(line, "token=") {
			continue
		}
		u, err := url.Parse(line)
		require.NoError(t, err)
		token := u.Query().Get("token")
		require.NotEmpty(t, token)
		return token
	}
	require.Failf(t, "no reset link", "body: %q", body)
	return ""
}

// fxSessionActive reports whether a session is still active now.
func fxSessionActive(t *testing.T, e *env, id string) bool {
	t.Helper()
	s, err := e.sessions.ByID(t.Context(), id)
	require.NoError(t, err)
	return s.Active(e.clock.Now())
}

// fxPtr returns a pointer to s.
func fxPtr(s string) *string { return &s }

// fxToken logs email in again and returns the new access token.
func fxToken(t *testing.T, e *env, email string) string {
	t.Helper()
	pair, _ := e.login(t, email)
	return pair.AccessToken
}
