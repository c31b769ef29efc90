package application_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
)

// newPassword passes the password policy and differs from goodPassword.
const newPassword = "purple monkey dishwasher lamp"

func TestForgotPasswordKnownEmail(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "Ana@Example.com")

	err := e.auth.ForgotPassword(t.Context(), "  ana@EXAMPLE.com ", fxClient("198.51.100.9"))
	require.NoError(t, err)

	msgs := e.mailer.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "Ana@Example.com", msgs[0].To, "mailed to the stored address")
	assert.Contains(t, msgs[0].Body, e.cfg.ResetURL+"?token=")
	token := fxTokenInBody(t, msgs[0].Body)
	assert.NotContains(t, token, " ")
	events := fxEvents(e, domain.AuditResetRequested)
	require.Len(t, events, 1)
	assert.Equal(t, u.ID, events[0].TargetID)
	assert.Equal(t, "198.51.100.9", events[0].IP)
}

func TestForgotPasswordLinkKeepsResetURLQuery(t *testing.T) {
	cfg := testConfig()
	cfg.ResetURL = "https://auth.example.com/reset?lang=pt"
	e := newEnvWith(t, cfg)
	e.register(t, "ana@example.com")

	require.NoError(t, e.auth.ForgotPassword(t.Context(), "ana@example.com", fxClient("198.51.100.9")))

	msgs := e.mailer.Messages()
	require.Len(t, msgs, 1)
	for _, line := range strings.Split(msgs[0].Body, "\n") {
		if strings.Contains(line, "token=") {
			link, err := url.Parse(strings.TrimSpace(line))
			require.NoError(t, err)
			assert.Equal(t, "pt", link.Query().Get("lang"))
			assert.NotEmpty(t, link.Query().Get("token"))
		}
	}
}

func TestForgotPasswordRevealsNothing(t *testing.T) {
	tests := []struct {
		name  string
		email string
		setup func(t *testing.T, e *env, u domain.User)
	}{
		{name: "unknown email", email: "nobody@example.com"},
		{name: "malformed email", email: "not-an-address"},
		{name: "empty email", email: ""},
		{
			name: "disabled account", email: "ana@example.com",
			setup: func(t *testing.T, e *env, u domain.User) {
				require.NoError(t, e.users.SetStatus(t.Context(), u.ID, domain.StatusDisabled, e.clock.Now()))
			},
		},
		{
			name: "deleted account", email: "ana@example.com",
			setup: func(t *testing.T, e *env, u domain.User) {
				now := e.clock.Now()
				require.NoError(t, e.users.SetDeleted(t.Context(), u.ID, &now, now))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.register(t, "ana@example.com")
			if tt.setup != nil {
				tt.setup(t, e, u)
			}

			err := e.auth.ForgotPassword(t.Context(), tt.email, fxClient("198.51.100.9"))

			assert.NoError(t, err)
			assert.Empty(t, e.mailer.Messages())
			assert.Empty(t, fxEvents(e, domain.AuditResetRequested))
		})
	}
}

func TestCheckForgotThrottles(t *testing.T) {
	tests := []struct {
		name   string
		second struct{ email, ip string }
		third  struct{ email, ip string }
	}{
		{name: "same address and client",
			second: struct{ email, ip string }{"ana@example.com", "198.51.100.1"},
			third:  struct{ email, ip string }{"ana@example.com", "198.51.100.1"}},
		{name: "same address, other clients",
			second: struct{ email, ip string }{"ANA@example.com", "198.51.100.2"},
			third:  struct{ email, ip string }{"ana@example.com", "198.51.100.3"}},
		{name: "same client, other addresses",
			second: struct{ email, ip string }{"bob@example.com", "198.51.100.1"},
			third:  struct{ email, ip string }{"carla@example.com", "198.51.100.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.limits.Max = 2
			e.limits.Wait = time.Minute

			require.NoError(t, e.auth.CheckForgot(t.Context(), "ana@example.com", fxClient("198.51.100.1")))
			require.NoError(t, e.auth.CheckForgot(t.Context(), tt.second.email, fxClient(tt.second.ip)))
			err := e.auth.CheckForgot(t.Context(), tt.third.email, fxClient(tt.third.ip))

			var te *domain.ThrottledError
			require.ErrorAs(t, err, &te)
			assert.Positive(t, te.RetryAfter)
			assert.ErrorIs(t, err, domain.ErrThrottled)
		})
	}
}

func TestCheckForgotOthersUnaffected(t *testing.T) {
	e := newEnv(t)
	e.limits.Max = 2
	e.limits.Wait = time.Minute
	for range 3 {
		_ = e.auth.CheckForgot(t.Context(), "ana@example.com", fxClient("198.51.100.1"))
	}

	assert.NoError(t, e.auth.CheckForgot(t.Context(), "bob@example.com", fxClient("198.51.100.2")))
}

func TestResetPassword(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ana@example.com")
	first, fp := e.login(t, "ana@example.com")
	second, sp := e.login(t, "ana@example.com")
	token := fxResetToken(t, e, "ana@example.com")

	err := e.auth.ResetPassword(t.Context(), token, newPassword, fxClient("198.51.100.9"))
	require.NoError(t, err)

	_, err = fxLogin(t, e, "ana@example.com", newPassword, "192.0.2.50")
	assert.NoError(t, err, "the new password works")
	_, err = fxLogin(t, e, "ana@example.com", goodPassword, "192.0.2.50")
	assert.ErrorIs(t, err, domain.ErrInvalidCredentials, "the old password fails")
	for _, pair := range []application.TokenPair{first, second} {
		assert.False(t, e.authenticates(t, pair.AccessToken))
		_, err := e.auth.Refresh(t.Context(), pair.RefreshToken)
		assert.ErrorIs(t, err, domain.ErrUnauthenticated)
	}
	assert.False(t, fxSessionActive(t, e, fp.SessionID))
	assert.False(t, fxSessionActive(t, e, sp.SessionID))

	mails := fxMailsTo(e, "ana@example.com")
	require.Len(t, mails, 2)
	assert.Equal(t, "Your password was reset", mails[1].Subject)
	assert.NotContains(t, mails[1].Body, newPassword)
	events := fxEvents(e, domain.AuditPasswordReset)
	require.Len(t, events, 1)
	assert.Equal(t, u.ID, events[0].TargetID)
	assert.Equal(t, "198.51.100.9", events[0].IP)

	err = e.auth.ResetPassword(t.Context(), token, "another fine passphrase", fxClient("198.51.100.9"))
	assert.ErrorIs(t, err, domain.ErrUnauthenticated, "a token works once")
	_, err = fxLogin(t, e, "ana@example.com", newPassword, "192.0.2.50")
	assert.NoError(t, err)
}

func TestResetPasswordRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env, u domain.User, token string) string
	}{
		{
			name: "unknown token",
			setup: func(*testing.T, *env, domain.User, string) string {
				return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			},
		},
		{
			name: "expired",
			setup: func(t *testing.T, e *env, _ domain.User, token string) string {
				e.clock.Advance(e.cfg.ResetTTL + time.Second)
				return token
			},
		},
		{
			name: "at its expiry",
			setup: func(t *testing.T, e *env, _ domain.User, token string) string {
				e.clock.Advance(e.cfg.ResetTTL)
				return token
			},
		},
		{
			name: "already used",
			setup: func(t *testing.T, e *env, _ domain.User, token string) string {
				require.NoError(t, e.auth.ResetPassword(t.Context(), token,
					"first new passphrase", fxClient("198.51.100.9")))
				return token
			},
		},
		{
			name: "a newer forgot killed it",
			setup: func(t *testing.T, e *env, _ domain.User, token string) string {
				e.clock.Advance(time.Minute)
				fxResetToken(t, e, "ana@example.com")
				return token
			},
		},
		{
			name: "the password was changed meanwhile",
			setup: func(t *testing.T, e *env, _ domain.User, token string) string {
				_, p := e.login(t, "ana@example.com")
				require.NoError(t, e.account.ChangePassword(t.Context(), p,
					goodPassword, "changed by the owner"))
				return token
			},
		},
		{
			name: "the account was disabled meanwhile",
			setup: func(t *testing.T, e *env, u domain.User, token string) string {
				_, p := fxAdmin(t, e, "admin@example.com")
				_, err := e.admin.UpdateUser(t.Context(), p, u.ID,
					application.UserChange{Status: fxPtr("disabled")})
				require.NoError(t, err)
				return token
			},
		},
		{
			name: "the account was deleted meanwhile",
			setup: func(t *testing.T, e *env, u domain.User, token string) string {
				_, p := fxAdmin(t, e, "admin@example.com")
				require.NoError(t, e.admin.DeleteUser(t.Context(), p, u.ID, false))
				return token
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.register(t, "ana@example.com")
			token := tt.setup(t, e, u, fxResetToken(t, e, "ana@example.com"))
			hashBefore := e.stored(t, "ana@example.com").PasswordHash
			resetsBefore := len(fxEvents(e, domain.AuditPasswordReset))

			err := e.auth.ResetPassword(t.Context(), token, newPassword, fxClient("198.51.100.9"))

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrUnauthenticated)
			assert.Equal(t, hashBefore, e.stored(t, "ana@example.com").PasswordHash)
			assert.Len(t, fxEvents(e, domain.AuditPasswordReset), resetsBefore)
		})
	}
}

func TestResetPasswordNewerTokenWorks(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ana@example.com")
	older := fxResetToken(t, e, "ana@example.com")
	newer := fxResetToken(t, e, "ana@example.com")
	require.NotEqual(t, older, newer)

	err := e.auth.ResetPassword(t.Context(), older, newPassword, fxClient("198.51.100.9"))
	require.ErrorIs(t, err, domain.ErrUnauthenticated)
	require.NoError(t, e.auth.ResetPassword(t.Context(), newer, newPassword, fxClient("198.51.100.9")))
	_, err = fxLogin(t, e, "ana@example.com", newPassword, "192.0.2.50")
	assert.NoError(t, err)
}

func TestResetPasswordWeakKeepsToken(t *testing.T) {
	tests := []struct {
		name     string
		password string
	}{
		{name: "too short", password: "short"},
		{name: "common", password: "password"},
		{name: "equal to the email", password: "ana@example.com"},
		{name: "empty", password: ""},
		{name: "too long", password: strings.Repeat("x", domain.MaxPasswordLength+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "ana@example.com")
			pair, _ := e.login(t, "ana@example.com")
			token := fxResetToken(t, e, "ana@example.com")

			err := e.auth.ResetPassword(t.Context(), token, tt.password, fxClient("198.51.100.9"))

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrInvalid)
			assert.Equal(t, []string{"new_password"}, fieldNames(t, err))
			assert.True(t, e.authenticates(t, pair.AccessToken), "sessions are kept")
			assert.Empty(t, fxEvents(e, domain.AuditPasswordReset))

			require.NoError(t, e.auth.ResetPassword(t.Context(), token, newPassword,
				fxClient("198.51.100.9")), "the token still works")
			_, err = fxLogin(t, e, "ana@example.com", newPassword, "192.0.2.50")
			assert.NoError(t, err)
		})
	}
}

func TestResetPasswordEmptyToken(t *testing.T) {
	e := newEnv(t)

	err := e.auth.ResetPassword(t.Context(), "", newPassword, fxClient("198.51.100.9"))

	assert.ErrorIs(t, err, domain.ErrInvalid)
	assert.Equal(t, []string{"token"}, fieldNames(t, err))
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ana@example.com")
	current, p := e.login(t, "ana@example.com")
	other, op := e.login(t, "ana@example.com")
	p.IP = "203.0.113.7"

	require.NoError(t, e.account.ChangePassword(t.Context(), p, goodPassword, newPassword))

	assert.True(t, e.authenticates(t, current.AccessToken), "the current session is kept")
	_, err := e.auth.Refresh(t.Context(), current.RefreshToken)
	assert.NoError(t, err)
	assert.False(t, e.authenticates(t, other.AccessToken), "other sessions end")
	assert.False(t, fxSessionActive(t, e, op.SessionID))
	_, err = e.auth.Refresh(t.Context(), other.RefreshToken)
	assert.ErrorIs(t, err, domain.ErrUnauthenticated)

	_, err = fxLogin(t, e, "ana@example.com", newPassword, "192.0.2.50")
	assert.NoError(t, err)
	_, err = fxLogin(t, e, "ana@example.com", goodPassword, "192.0.2.50")
	assert.ErrorIs(t, err, domain.ErrInvalidCredentials)

	mails := fxMailsTo(e, "ana@example.com")
	require.Len(t, mails, 1)
	assert.Equal(t, "Your password was changed", mails[0].Subject)
	events := fxEvents(e, domain.AuditPasswordChange)
	require.Len(t, events, 1)
	assert.Equal(t, u.ID, events[0].ActorID)
	assert.Equal(t, u.ID, events[0].TargetID)
	assert.Equal(t, "203.0.113.7", events[0].IP)
}

func TestChangePasswordRefuses(t *testing.T) {
	tests := []struct {
		name      string
		current   string
		next      string
		wantErr   error
		wantField string
	}{
		{name: "wrong current password", current: "wrong horse battery staple", next: newPassword,
			wantErr: domain.ErrInvalidCredentials},
		{name: "empty current password", current: "", next: newPassword,
			wantErr: domain.ErrInvalidCredentials},
		{name: "new password too short", current: goodPassword, next: "short",
			wantErr: domain.ErrInvalid, wantField: "new_password"},
		{name: "new password common", current: goodPassword, next: "password",
			wantErr: domain.ErrInvalid, wantField: "new_password"},
		{name: "new password equal to the email", current: goodPassword, next: "ana@example.com",
			wantErr: domain.ErrInvalid, wantField: "new_password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "ana@example.com")
			current, p := e.login(t, "ana@example.com")
			other, _ := e.login(t, "ana@example.com")
			token := fxResetToken(t, e, "ana@example.com")
			hashBefore := e.stored(t, "ana@example.com").PasswordHash
			mailsBefore := len(e.mailer.Messages())

			err := e.account.ChangePassword(t.Context(), p, tt.current, tt.next)

			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantErr)
			if tt.wantField != "" {
				assert.Equal(t, []string{tt.wantField}, fieldNames(t, err))
			}
			assert.Equal(t, hashBefore, e.stored(t, "ana@example.com").PasswordHash)
			assert.True(t, e.authenticates(t, current.AccessToken))
			assert.True(t, e.authenticates(t, other.AccessToken))
			assert.Len(t, e.mailer.Messages(), mailsBefore)
			assert.Empty(t, fxEvents(e, domain.AuditPasswordChange))
			assert.NoError(t, e.auth.ResetPassword(t.Context(), token, newPassword,
				fxClient("198.51.100.9")), "the reset token still works")
		})
	}
}
