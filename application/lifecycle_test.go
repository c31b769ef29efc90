package application_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports"
)

const wrongPassword = "wrong horse battery staple"

func TestDeleteSelf(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ana@example.com")
	current, p := e.login(t, "ana@example.com")
	other, _ := e.login(t, "ana@example.com")
	token := fxResetToken(t, e, "ana@example.com")
	e.clock.Advance(time.Minute)

	require.NoError(t, e.account.DeleteSelf(t.Context(), p, goodPassword))

	stored := e.stored(t, "ana@example.com")
	require.NotNil(t, stored.DeletedAt)
	assert.True(t, stored.DeletedAt.Equal(e.clock.Now()))
	assert.False(t, e.authenticates(t, current.AccessToken))
	assert.False(t, e.authenticates(t, other.AccessToken))
	_, err := e.auth.Refresh(t.Context(), current.RefreshToken)
	assert.ErrorIs(t, err, domain.ErrUnauthenticated)
	_, err = fxLogin(t, e, "ana@example.com", goodPassword, "192.0.2.50")
	assert.ErrorIs(t, err, domain.ErrInvalidCredentials)
	err = e.auth.ResetPassword(t.Context(), token, "purple monkey dishwasher", fxClient("198.51.100.9"))
	assert.ErrorIs(t, err, domain.ErrUnauthenticated, "reset tokens die with the account")

	mails := fxMailsTo(e, "ana@example.com")
	require.NotEmpty(t, mails)
	assert.Equal(t, "Your account was deleted", mails[len(mails)-1].Subject)
	events := fxEvents(e, domain.AuditAccountDeleted)
	require.Len(t, events, 1)
	assert.Equal(t, u.ID, events[0].ActorID)
	assert.Equal(t, u.ID, events[0].TargetID)
}

func TestDeleteSelfRefuses(t *testing.T) {
	tests := []struct {
		name     string
		admin    bool
		password string
		wantErr  error
	}{
		{name: "wrong password", password: wrongPassword, wantErr: domain.ErrInvalidCredentials},
		{name: "empty password", password: "", wantErr: domain.ErrInvalidCredentials},
		{name: "last active admin", admin: true, password: goodPassword, wantErr: domain.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var roles []string
			if tt.admin {
				roles = []string{domain.RoleAdmin}
			}
			_, pair, p := fxAccount(t, e, "ana@example.com", roles...)

			err := e.account.DeleteSelf(t.Context(), p, tt.password)

			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, e.stored(t, "ana@example.com").DeletedAt)
			assert.True(t, e.authenticates(t, pair.AccessToken))
			assert.Empty(t, e.mailer.Messages())
			assert.Empty(t, fxEvents(e, domain.AuditAccountDeleted))
		})
	}
}

func TestDeleteSelfAdminWithAnotherAdmin(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")
	fxAdmin(t, e, "other@example.com")

	require.NoError(t, e.account.DeleteSelf(t.Context(), p, goodPassword))

	assert.NotNil(t, e.stored(t, "admin@example.com").DeletedAt)
}

func TestRestoreOwnAccount(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ana@example.com")
	old, p := e.login(t, "ana@example.com")
	require.NoError(t, e.account.DeleteSelf(t.Context(), p, goodPassword))
	e.clock.Advance(e.cfg.RestoreWindow - time.Hour)

	pair, err := e.auth.Restore(t.Context(), "ANA@example.com", goodPassword, fxClient("198.51.100.9"))
	require.NoError(t, err)

	assert.NotEmpty(t, pair.AccessToken)
	assert.NotEmpty(t, pair.RefreshToken)
	np, err := e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, u.ID, np.UserID)
	_, err = e.auth.Refresh(t.Context(), pair.RefreshToken)
	assert.NoError(t, err)
	stored := e.stored(t, "ana@example.com")
	assert.Nil(t, stored.DeletedAt)
	assert.Equal(t, domain.StatusActive, stored.Status)
	assert.False(t, e.authenticates(t, old.AccessToken), "sessions ended by the deletion stay ended")

	events := fxEvents(e, domain.AuditAccountRestored)
	require.Len(t, events, 1)
	assert.Equal(t, u.ID, events[0].TargetID)
	assert.Equal(t, u.ID, events[0].ActorID)
	assert.Equal(t, "198.51.100.9", events[0].IP)
	mails := fxMailsTo(e, "ana@example.com")
	require.NotEmpty(t, mails)
	assert.Equal(t, "Your account was restored", mails[len(mails)-1].Subject)

	_, err = fxLogin(t, e, "ana@example.com", goodPassword, "192.0.2.50")
	assert.NoError(t, err, "a restored account logs in normally")
}

func TestRestoreOwnAccountRefuses(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		password string
		deleted  bool
		disabled bool
		after    time.Duration
		wantErr  error
	}{
		{name: "wrong password", email: "ana@example.com", password: wrongPassword, deleted: true,
			wantErr: domain.ErrInvalidCredentials},
		{name: "unknown email", email: "nobody@example.com", password: goodPassword,
			wantErr: domain.ErrInvalidCredentials},
		{name: "malformed email", email: "nobody", password: goodPassword,
			wantErr: domain.ErrInvalidCredentials},
		{name: "deleted and disabled", email: "ana@example.com", password: goodPassword,
			deleted: true, disabled: true, wantErr: domain.ErrInvalidCredentials},
		{name: "after the window", email: "ana@example.com", password: goodPassword, deleted: true,
			after: testConfig().RestoreWindow + time.Second, wantErr: domain.ErrGone},
		{name: "wrong password after the window", email: "ana@example.com", password: wrongPassword,
			deleted: true, after: testConfig().RestoreWindow + time.Second,
			wantErr: domain.ErrInvalidCredentials},
		{name: "missing password", email: "ana@example.com", password: "", deleted: true,
			wantErr: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.register(t, "ana@example.com")
			now := e.clock.Now()
			if tt.disabled {
				require.NoError(t, e.users.SetStatus(t.Context(), u.ID, domain.StatusDisabled, now))
			}
			if tt.deleted {
				require.NoError(t, e.users.SetDeleted(t.Context(), u.ID, &now, now))
			}
			e.clock.Advance(tt.after)

			pair, err := e.auth.Restore(t.Context(), tt.email, tt.password, fxClient("198.51.100.9"))

			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Zero(t, pair)
			stored := e.stored(t, "ana@example.com")
			assert.Equal(t, tt.deleted, stored.DeletedAt != nil, "deletion unchanged")
			assert.Empty(t, fxEvents(e, domain.AuditAccountRestored))
			assert.Empty(t, e.mailer.Messages())
			sessions, err := e.sessions.ListByUser(t.Context(), u.ID, e.clock.Now())
			require.NoError(t, err)
			assert.Empty(t, sessions)
		})
	}
}

func TestRestoreNotDeletedJustLogsIn(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ana@example.com")

	pair, err := e.auth.Restore(t.Context(), "ana@example.com", goodPassword, fxClient("198.51.100.9"))
	require.NoError(t, err)

	p, err := e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, u.ID, p.UserID)
	assert.Empty(t, fxEvents(e, domain.AuditAccountRestored))
	assert.Empty(t, e.mailer.Messages())
}

func TestLoginThrottle(t *testing.T) {
	tests := []struct {
		name        string
		email       string
		ip          string
		wantBlocked bool
	}{
		{name: "same account, same client, right password", email: "ana@example.com",
			ip: "198.51.100.1", wantBlocked: true},
		{name: "same account in another case", email: "ANA@example.com",
			ip: "198.51.100.1", wantBlocked: true},
		{name: "same account, another client", email: "ana@example.com",
			ip: "198.51.100.2", wantBlocked: true},
		{name: "another account, same client", email: "bob@example.com",
			ip: "198.51.100.1", wantBlocked: true},
		{name: "another account, another client", email: "bob@example.com",
			ip: "198.51.100.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.logins.Max = 5
			e.logins.Wait = time.Minute
			e.register(t, "ana@example.com")
			e.register(t, "bob@example.com")
			for i := range 5 {
				_, err := fxLogin(t, e, "ana@example.com", wrongPassword, "198.51.100.1")
				require.ErrorIs(t, err, domain.ErrInvalidCredentials, "attempt %d", i+1)
			}

			pair, err := fxLogin(t, e, tt.email, goodPassword, tt.ip)

			if !tt.wantBlocked {
				require.NoError(t, err)
				assert.True(t, e.authenticates(t, pair.AccessToken))
				return
			}
			var te *domain.ThrottledError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, time.Minute, te.RetryAfter)
			assert.ErrorIs(t, err, domain.ErrThrottled)
			assert.Zero(t, pair)
		})
	}
}

func TestLoginSuccessResetsAccountCounter(t *testing.T) {
	e := newEnv(t)
	e.logins.Max = 5
	e.logins.Wait = time.Minute
	e.register(t, "ana@example.com")
	fail := func(ip string, n int) {
		for range n {
			_, err := fxLogin(t, e, "ana@example.com", wrongPassword, ip)
			require.ErrorIs(t, err, domain.ErrInvalidCredentials)
		}
	}

	fail("198.51.100.1", 4)
	_, err := fxLogin(t, e, "ana@example.com", goodPassword, "198.51.100.2")
	require.NoError(t, err)
	fail("198.51.100.3", 4)

	// Eight failures in all, but only four since the success.
	_, err = fxLogin(t, e, "ana@example.com", goodPassword, "198.51.100.4")
	assert.NoError(t, err)
}

// TestThrottleWithoutWaitHint: a throttle that reports a key blocked must
// block it, even when it gives no positive wait (the fake Throttle with
// Wait unset does so).
func TestThrottleWithoutWaitHint(t *testing.T) {
	t.Run("login", func(t *testing.T) {
		e := newEnv(t)
		e.logins.Max = 5
		e.register(t, "ana@example.com")
		for range 5 {
			_, err := fxLogin(t, e, "ana@example.com", wrongPassword, "198.51.100.1")
			require.ErrorIs(t, err, domain.ErrInvalidCredentials)
		}
		require.Equal(t, 5, e.logins.Count("login:ip:198.51.100.1"), "five failures counted for the client")

		_, err := fxLogin(t, e, "ana@example.com", goodPassword, "198.51.100.1")

		var te *domain.ThrottledError
		require.ErrorAs(t, err, &te)
		assert.Positive(t, te.RetryAfter)
	})
	t.Run("forgot", func(t *testing.T) {
		e := newEnv(t)
		e.limits.Max = 2
		require.NoError(t, e.auth.CheckForgot(t.Context(), "ana@example.com", fxClient("198.51.100.1")))
		require.NoError(t, e.auth.CheckForgot(t.Context(), "ana@example.com", fxClient("198.51.100.1")))

		err := e.auth.CheckForgot(t.Context(), "ana@example.com", fxClient("198.51.100.1"))

		var te *domain.ThrottledError
		require.ErrorAs(t, err, &te)
		assert.Positive(t, te.RetryAfter)
	})
}

func TestLoginAudit(t *testing.T) {
	tests := []struct {
		name       string
		email      string
		password   string
		wantAction string
		wantTarget bool // the event names the account
	}{
		{name: "success", email: "ana@example.com", password: goodPassword,
			wantAction: domain.AuditLoginSuccess, wantTarget: true},
		{name: "wrong password", email: "ana@example.com", password: wrongPassword,
			wantAction: domain.AuditLoginFailure, wantTarget: true},
		{name: "unknown email", email: "nobody@example.com", password: goodPassword,
			wantAction: domain.AuditLoginFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.register(t, "ana@example.com")

			_, _ = fxLogin(t, e, tt.email, tt.password, "198.51.100.7")

			require.Equal(t, []string{tt.wantAction}, e.audit.Actions())
			ev := e.audit.Events[0]
			assert.Equal(t, "198.51.100.7", ev.IP)
			assert.True(t, ev.At.Equal(e.clock.Now()))
			if tt.wantTarget {
				assert.Equal(t, u.ID, ev.TargetID)
			} else {
				assert.Empty(t, ev.TargetID)
			}
			if tt.wantAction == domain.AuditLoginSuccess {
				assert.Equal(t, u.ID, ev.ActorID)
			} else {
				assert.Empty(t, ev.ActorID)
			}
		})
	}
}

func TestPurgeExpired(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")
	oldest := e.register(t, "old1@example.com")
	older := e.register(t, "old2@example.com")
	recent := e.register(t, "recent@example.com")
	edge := e.register(t, "edge@example.com")
	kept := e.register(t, "kept@example.com")

	require.NoError(t, e.admin.DeleteUser(t.Context(), p, oldest.ID, false))
	e.clock.Advance(time.Hour)
	require.NoError(t, e.admin.DeleteUser(t.Context(), p, older.ID, false))
	e.clock.Advance(time.Hour)
	require.NoError(t, e.admin.DeleteUser(t.Context(), p, edge.ID, false))
	e.clock.Advance(e.cfg.RestoreWindow)
	require.NoError(t, e.admin.DeleteUser(t.Context(), p, recent.ID, false))
	// Now: oldest and older are past the window, edge is exactly at it.

	n, err := e.admin.PurgeExpired(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	for _, id := range []string{oldest.ID, older.ID} {
		_, err := e.users.ByID(t.Context(), id)
		assert.ErrorIs(t, err, domain.ErrNotFound, "purged %s", id)
	}
	for _, id := range []string{edge.ID, recent.ID, kept.ID, p.UserID} {
		_, err := e.users.ByID(t.Context(), id)
		assert.NoError(t, err, "kept %s", id)
	}
	events := fxEvents(e, domain.AuditAccountPurged)
	require.Len(t, events, 2)
	assert.ElementsMatch(t, []string{oldest.ID, older.ID},
		[]string{events[0].TargetID, events[1].TargetID})
	for _, ev := range events {
		assert.Equal(t, "user", ev.TargetType)
	}

	n, err = e.admin.PurgeExpired(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n, "a second run purges nothing more")
	assert.Len(t, fxEvents(e, domain.AuditAccountPurged), 2)

	// The edge account can still be restored until it leaves the window.
	_, err = e.admin.RestoreUser(t.Context(), p, edge.ID)
	assert.NoError(t, err)
	e.clock.Advance(time.Second)
	n, err = e.admin.PurgeExpired(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n, "a restored account is not purged")
}

func TestPurgeExpiredMany(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")
	const count = 250 // more than one batch of the store
	for i := range count {
		u, err := e.auth.Register(t.Context(), fmt.Sprintf("user%d@example.com", i),
			goodPassword, "")
		require.NoError(t, err)
		require.NoError(t, e.admin.DeleteUser(t.Context(), p, u.ID, false))
	}
	e.clock.Advance(e.cfg.RestoreWindow + time.Second)

	n, err := e.admin.PurgeExpired(t.Context())

	require.NoError(t, err)
	assert.Equal(t, count, n)
	page, err := e.admin.ListUsers(t.Context(), ports.UserFilter{})
	require.NoError(t, err)
	assert.Equal(t, 1, page.Total, "only the administrator is left")
}

func TestSeedAdmin(t *testing.T) {
	e := newEnv(t)
	b := application.NewBootstrap(e.roles, e.cfg, e.deps)

	created, err := b.SeedAdmin(t.Context(), "Root@Example.com", goodPassword)
	require.NoError(t, err)
	assert.True(t, created)

	stored := e.stored(t, "root@example.com")
	assert.Equal(t, "Root@Example.com", stored.Email)
	assert.Equal(t, []string{domain.RoleAdmin, domain.RoleUser}, stored.Roles)
	assert.Equal(t, domain.StatusActive, stored.Status)
	_, p := e.login(t, "root@example.com")
	assert.NoError(t, application.Authorize(p, domain.PermRolesManage))
	require.Len(t, fxEvents(e, domain.AuditUserCreated), 1)

	created, err = b.SeedAdmin(t.Context(), "root@example.com", "another fine passphrase")
	require.NoError(t, err)
	assert.False(t, created, "an existing account is left as it is")
	assert.Equal(t, stored.PasswordHash, e.stored(t, "root@example.com").PasswordHash)
	assert.Len(t, fxEvents(e, domain.AuditUserCreated), 1)
}

func TestSeedAdminRefuses(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		password string
		wantVar  string
	}{
		{name: "short password", email: "root@example.com", password: "short",
			wantVar: "ADMIN_PASSWORD"},
		{name: "common password", email: "root@example.com", password: "password",
			wantVar: "ADMIN_PASSWORD"},
		{name: "password equal to the email", email: "root@example.com",
			password: "root@example.com", wantVar: "ADMIN_PASSWORD"},
		{name: "bad email", email: "root", password: goodPassword, wantVar: "ADMIN_EMAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			b := application.NewBootstrap(e.roles, e.cfg, e.deps)

			created, err := b.SeedAdmin(t.Context(), tt.email, tt.password)

			require.Error(t, err)
			assert.False(t, created)
			assert.Contains(t, err.Error(), tt.wantVar)
			assert.ErrorIs(t, err, domain.ErrInvalid)
			page, err := e.admin.ListUsers(t.Context(), ports.UserFilter{})
			require.NoError(t, err)
			assert.Zero(t, page.Total)
		})
	}
}

// TestMailFailureDoesNotUndoTheChange: mail is best effort; the change it
// reports has happened.
func TestMailFailureDoesNotUndoTheChange(t *testing.T) {
	tests := []struct {
		name  string
		act   func(t *testing.T, e *env, p application.Principal, u domain.User) error
		check func(t *testing.T, e *env)
	}{
		{
			name: "password change",
			act: func(t *testing.T, e *env, p application.Principal, _ domain.User) error {
				return e.account.ChangePassword(t.Context(), p, goodPassword, newPassword)
			},
			check: func(t *testing.T, e *env) {
				_, err := fxLogin(t, e, "ana@example.com", newPassword, "192.0.2.50")
				assert.NoError(t, err)
			},
		},
		{
			name: "forgot password",
			act: func(t *testing.T, e *env, _ application.Principal, _ domain.User) error {
				return e.auth.ForgotPassword(t.Context(), "ana@example.com", fxClient("198.51.100.9"))
			},
			check: func(t *testing.T, e *env) {
				assert.Len(t, fxEvents(e, domain.AuditResetRequested), 1)
			},
		},
		{
			name: "delete self",
			act: func(t *testing.T, e *env, p application.Principal, _ domain.User) error {
				return e.account.DeleteSelf(t.Context(), p, goodPassword)
			},
			check: func(t *testing.T, e *env) {
				assert.NotNil(t, e.stored(t, "ana@example.com").DeletedAt)
			},
		},
		{
			name: "admin restore",
			act: func(t *testing.T, e *env, _ application.Principal, u domain.User) error {
				_, ap := fxAdmin(t, e, "admin@example.com")
				require.NoError(t, e.admin.DeleteUser(t.Context(), ap, u.ID, false))
				_, err := e.admin.RestoreUser(t.Context(), ap, u.ID)
				return err
			},
			check: func(t *testing.T, e *env) {
				assert.Nil(t, e.stored(t, "ana@example.com").DeletedAt)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u, _, p := fxAccount(t, e, "ana@example.com")
			e.mailer.Fail = true

			require.NoError(t, tt.act(t, e, p, u))

			tt.check(t, e)
			assert.Empty(t, e.mailer.Messages())
		})
	}
}

// Only failures count: a login that succeeds gives its attempt back, so
// one client may log in any number of times, and a failure is counted
// against both the account and the client.
func TestThrottleCountsFailuresOnly(t *testing.T) {
	e := newEnv(t)
	e.logins.Max = 3
	e.register(t, "ana@example.com")

	for i := range 10 {
		_, err := fxLogin(t, e, "ana@example.com", goodPassword, "198.51.100.7")
		require.NoError(t, err, "login %d", i+1)
	}
	assert.Zero(t, e.logins.Count("login:ip:198.51.100.7"))
	assert.Zero(t, e.logins.Count("login:acct:ana@example.com"))

	_, err := fxLogin(t, e, "ana@example.com", wrongPassword, "198.51.100.7")
	require.ErrorIs(t, err, domain.ErrInvalidCredentials)
	assert.Equal(t, 1, e.logins.Count("login:ip:198.51.100.7"))
	assert.Equal(t, 1, e.logins.Count("login:acct:ana@example.com"))
}

// When the client has no room left, nothing is counted against the
// account for the refused attempt.
func TestThrottleRefusalCountsNothing(t *testing.T) {
	e := newEnv(t)
	e.logins.Max = 2
	e.register(t, "ana@example.com")
	for _, who := range []string{"x1@example.com", "x2@example.com"} {
		_, err := fxLogin(t, e, who, wrongPassword, "198.51.100.8")
		require.ErrorIs(t, err, domain.ErrInvalidCredentials)
	}

	_, err := fxLogin(t, e, "ana@example.com", goodPassword, "198.51.100.8")

	var te *domain.ThrottledError
	require.ErrorAs(t, err, &te)
	assert.Zero(t, e.logins.Count("login:acct:ana@example.com"), "the account's attempt was given back")
}

// A change that ends every session, landing while a login is checking the
// password, refuses that login: no session outlives it.
func TestLoginInFlightLosesToAChangeThatEndsSessions(t *testing.T) {
	changes := map[string]func(t *testing.T, e *env, u domain.User, admin application.Principal){
		"password change": func(t *testing.T, e *env, u domain.User, _ application.Principal) {
			_, p := e.login(t, u.Email)
			require.NoError(t, e.account.ChangePassword(t.Context(), p, goodPassword, "another fine passphrase"))
		},
		"disable": func(t *testing.T, e *env, u domain.User, admin application.Principal) {
			st := string(domain.StatusDisabled)
			_, err := e.admin.UpdateUser(t.Context(), admin, u.ID, application.UserChange{Status: &st})
			require.NoError(t, err)
		},
		"delete": func(t *testing.T, e *env, u domain.User, admin application.Principal) {
			require.NoError(t, e.admin.DeleteUser(t.Context(), admin, u.ID, false))
		},
		"purge": func(t *testing.T, e *env, u domain.User, admin application.Principal) {
			require.NoError(t, e.admin.DeleteUser(t.Context(), admin, u.ID, true))
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			_, admin := fxAdmin(t, e, "root@example.com")
			u := e.register(t, "ana@example.com")
			e.hasher.AfterVerify = func() { change(t, e, u, admin) }

			_, err := fxLogin(t, e, "ana@example.com", goodPassword, "198.51.100.9")

			require.ErrorIs(t, err, domain.ErrInvalidCredentials)
			if name == "purge" {
				return
			}
			sessions, err := e.sessions.ListByUser(t.Context(), u.ID, e.clock.Now())
			require.NoError(t, err)
			want := 0
			if name == "password change" {
				want = 1 // the session that made the change
			}
			assert.Len(t, sessions, want)
		})
	}
}

// A session revoked while its password change was on its way (a logout of
// the other sessions, say) cannot change the password any more.
func TestRevokedSessionCannotChangeThePassword(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ana@example.com")
	_, attacker := e.login(t, "ana@example.com")
	ownerPair, owner := e.login(t, "ana@example.com")
	before := e.stored(t, "ana@example.com").PasswordHash
	require.NoError(t, e.auth.Logout(t.Context(), owner, application.ScopeOthers))

	err := e.account.ChangePassword(t.Context(), attacker, goodPassword, "attacker chosen passphrase")

	require.ErrorIs(t, err, domain.ErrUnauthenticated)
	assert.Equal(t, before, e.stored(t, "ana@example.com").PasswordHash)
	assert.True(t, e.authenticates(t, ownerPair.AccessToken), "the owner's session lives on")
}
