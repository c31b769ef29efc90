package application_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports"
	"auth-service/ports/fakes"
)

var errStore = errors.New("store is down")

// brokenUsers is a UserStore whose lookups fail while fail is set.
type brokenUsers struct {
	*fakes.Users
	fail bool
}

func (u *brokenUsers) ByID(ctx context.Context, id string) (domain.User, error) {
	if u.fail {
		return domain.User{}, errStore
	}
	return u.Users.ByID(ctx, id)
}

func (u *brokenUsers) ByEmailKey(ctx context.Context, key string) (domain.User, error) {
	if u.fail {
		return domain.User{}, errStore
	}
	return u.Users.ByEmailKey(ctx, key)
}

// brokenSessions is a SessionStore whose reads fail while fail is set.
type brokenSessions struct {
	*fakes.Sessions
	fail bool
}

func (s *brokenSessions) ByID(ctx context.Context, id string) (domain.Session, error) {
	if s.fail {
		return domain.Session{}, errStore
	}
	return s.Sessions.ByID(ctx, id)
}

func (s *brokenSessions) LockToken(ctx context.Context, hash []byte) (domain.RefreshToken, domain.Session, error) {
	if s.fail {
		return domain.RefreshToken{}, domain.Session{}, errStore
	}
	return s.Sessions.LockToken(ctx, hash)
}

// ctxHasher behaves like the Argon2id adapter towards contexts: once ctx
// has ended, Hash and Verify return ctx.Err() without computing anything.
type ctxHasher struct {
	*fakes.Hasher
}

func (h ctxHasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return h.Hasher.Hash(ctx, pw)
}

func (h ctxHasher) Verify(ctx context.Context, pw, encoded string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return h.Hasher.Verify(ctx, pw, encoded)
}

// authWith builds the use cases on e's clock, tokens and random source
// with the given stores and hasher.
func authWith(
	e *env,
	users ports.UserStore,
	sessions ports.SessionStore,
	hasher ports.PasswordHasher,
) *application.Auth {
	d := e.deps
	d.Users, d.Sessions, d.Hasher = users, sessions, hasher
	return application.NewAuth(e.cfg, d)
}

func TestStoreFailuresAreNotDisguised(t *testing.T) {
	tests := []struct {
		name         string
		failUsers    bool
		failSessions bool
		call         func(t *testing.T, a *application.Auth, pair application.TokenPair) error
	}{
		{
			name:      "login, user lookup",
			failUsers: true,
			call: func(t *testing.T, a *application.Auth, _ application.TokenPair) error {
				_, err := a.Login(t.Context(), "ana@example.com", goodPassword, application.Client{})
				return err
			},
		},
		{
			name:      "authenticate, user lookup",
			failUsers: true,
			call: func(t *testing.T, a *application.Auth, pair application.TokenPair) error {
				_, err := a.Authenticate(t.Context(), pair.AccessToken)
				return err
			},
		},
		{
			name:         "authenticate, session lookup",
			failSessions: true,
			call: func(t *testing.T, a *application.Auth, pair application.TokenPair) error {
				_, err := a.Authenticate(t.Context(), pair.AccessToken)
				return err
			},
		},
		{
			name:      "refresh, user lookup",
			failUsers: true,
			call: func(t *testing.T, a *application.Auth, pair application.TokenPair) error {
				_, err := a.Refresh(t.Context(), pair.RefreshToken)
				return err
			},
		},
		{
			name:         "refresh, token lookup",
			failSessions: true,
			call: func(t *testing.T, a *application.Auth, pair application.TokenPair) error {
				_, err := a.Refresh(t.Context(), pair.RefreshToken)
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			users := &brokenUsers{Users: e.users}
			sessions := &brokenSessions{Sessions: e.sessions}
			a := authWith(e, users, sessions, e.hasher)
			_, err := a.Register(t.Context(), "ana@example.com", goodPassword, "")
			require.NoError(t, err)
			pair, err := a.Login(t.Context(), "ana@example.com", goodPassword, application.Client{})
			require.NoError(t, err)
			users.fail, sessions.fail = tt.failUsers, tt.failSessions

			err = tt.call(t, a, pair)

			require.Error(t, err)
			assert.ErrorIs(t, err, errStore)
			assert.NotErrorIs(t, err, domain.ErrUnauthenticated)
			assert.NotErrorIs(t, err, domain.ErrInvalidCredentials)
		})
	}
}

func TestLoginWithUnreadableStoredHash(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ana@example.com")
	require.NoError(t, e.users.UpdatePasswordHash(t.Context(), u.ID, "not-a-hash", start))

	pair, err := e.auth.Login(t.Context(), "ana@example.com", goodPassword, application.Client{})

	require.Error(t, err)
	assert.Zero(t, pair)
	list, err := e.sessions.ListByUser(t.Context(), u.ID, e.clock.Now())
	require.NoError(t, err)
	assert.Empty(t, list)
}

// TestLoginUnknownEmailKeepsEqualisingAfterCancelledFirstAttempt shows that
// the timing equaliser must survive a first unknown-email login whose
// context has already ended (a client that went away, or a deadline hit
// while the real hasher's slots were busy). The Argon2id adapter then
// returns ctx.Err() from Hash; the dummy hash must not stay empty for the
// life of the process, or every later unknown-email login skips its
// verification and answers measurably faster than a wrong password.
func TestLoginUnknownEmailKeepsEqualisingAfterCancelledFirstAttempt(t *testing.T) {
	e := newEnv(t)
	hasher := ctxHasher{Hasher: e.hasher}
	a := authWith(e, e.users, e.sessions, hasher)
	_, err := a.Register(t.Context(), "ana@example.com", goodPassword, "")
	require.NoError(t, err)
	gone, cancel := context.WithCancel(t.Context())
	cancel()

	_, err = a.Login(gone, "nobody@example.com", goodPassword, application.Client{})
	require.ErrorIs(t, err, domain.ErrInvalidCredentials)

	tests := []struct {
		name     string
		email    string
		password string
	}{
		{"wrong password", "ana@example.com", "wrong horse battery staple"},
		{"unknown email", "nobody@example.com", goodPassword},
		{"known email, overlong password", "ana@example.com", string(make([]byte, 300))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, verifiesBefore := e.hasher.Counts()

			_, err := a.Login(t.Context(), tt.email, tt.password, application.Client{})

			require.ErrorIs(t, err, domain.ErrInvalidCredentials)
			_, verifies := e.hasher.Counts()
			assert.Equal(t, 1, verifies-verifiesBefore,
				"every refusal must spend one verification")
		})
	}
}
