package application_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
)

// loggedIn registers ana and logs her in once.
func loggedIn(t *testing.T, e *env) (application.TokenPair, application.Principal) {
	t.Helper()
	e.register(t, "ana@example.com")
	return e.login(t, "ana@example.com")
}

func TestRefreshRotates(t *testing.T) {
	e := newEnv(t)
	first, p := loggedIn(t, e)
	e.clock.Advance(time.Minute)

	second, err := e.auth.Refresh(t.Context(), first.RefreshToken)
	require.NoError(t, err)

	assert.NotEmpty(t, second.RefreshToken)
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken)
	assert.NotEqual(t, first.AccessToken, second.AccessToken)
	assert.Equal(t, e.cfg.AccessTTL, second.ExpiresIn)
	got, err := e.auth.Authenticate(t.Context(), second.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, p.SessionID, got.SessionID, "refresh keeps the session")

	s, err := e.sessions.ByID(t.Context(), p.SessionID)
	require.NoError(t, err)
	now := start.Add(time.Minute)
	assert.True(t, s.LastUsedAt.Equal(now), "last used %v", s.LastUsedAt)
	assert.True(t, s.ExpiresAt.Equal(now.Add(e.cfg.RefreshTTL)), "expires %v", s.ExpiresAt)

	// The stored side holds only a hash, and the old token records its
	// rotation.
	old, err := e.sessions.Token(t.Context(), domain.HashRefreshToken(first.RefreshToken))
	require.NoError(t, err)
	require.NotNil(t, old.RotatedAt)
	assert.True(t, old.RotatedAt.Equal(now))
	assert.NotContains(t, string(old.SuccessorBox), second.RefreshToken)
}

func TestRefreshReuseAfterGraceRevokesSession(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
	}{
		{"just after grace", 10*time.Second + time.Millisecond},
		{"an hour later", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			first, _ := loggedIn(t, e)
			other, _ := e.login(t, "ana@example.com")
			second, err := e.auth.Refresh(t.Context(), first.RefreshToken)
			require.NoError(t, err)
			e.clock.Advance(tt.after)

			_, err = e.auth.Refresh(t.Context(), first.RefreshToken)

			require.Error(t, err)
			assert.ErrorIs(t, err, application.ErrRefreshReused)
			assert.ErrorIs(t, err, domain.ErrUnauthenticated)

			_, err = e.auth.Refresh(t.Context(), second.RefreshToken)
			assert.ErrorIs(t, err, domain.ErrUnauthenticated, "newest token of the session")
			assert.NotErrorIs(t, err, application.ErrRefreshReused)
			assert.False(t, e.authenticates(t, second.AccessToken), "newest access token")
			assert.False(t, e.authenticates(t, first.AccessToken), "first access token")

			// Another session of the same user is untouched.
			otherNext, err := e.auth.Refresh(t.Context(), other.RefreshToken)
			require.NoError(t, err, "another session's refresh")
			assert.True(t, e.authenticates(t, otherNext.AccessToken), "another session")
		})
	}
}

func TestRefreshReuseInsideGrace(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
	}{
		{"at once", 0},
		{"a few seconds later", 5 * time.Second},
		{"just inside", 9 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			first, p := loggedIn(t, e)
			e.clock.Advance(time.Second)
			tabA, err := e.auth.Refresh(t.Context(), first.RefreshToken)
			require.NoError(t, err)
			e.clock.Advance(tt.after)

			tabB, err := e.auth.Refresh(t.Context(), first.RefreshToken)
			require.NoError(t, err)

			assert.Equal(t, tabA.RefreshToken, tabB.RefreshToken,
				"both tabs hold the session's current refresh token")
			assert.Equal(t, e.cfg.AccessTTL, tabB.ExpiresIn)
			gotB, err := e.auth.Authenticate(t.Context(), tabB.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, p.SessionID, gotB.SessionID)
			assert.True(t, e.authenticates(t, tabA.AccessToken))

			s, err := e.sessions.ByID(t.Context(), p.SessionID)
			require.NoError(t, err)
			assert.Nil(t, s.RevokedAt, "the session must not be revoked")

			third, err := e.auth.Refresh(t.Context(), tabB.RefreshToken)
			require.NoError(t, err, "the current token keeps working")
			assert.NotEqual(t, tabB.RefreshToken, third.RefreshToken)
		})
	}
}

func TestRefreshReuseInsideGraceFollowsChain(t *testing.T) {
	e := newEnv(t)
	t0, _ := loggedIn(t, e)

	t1, err := e.auth.Refresh(t.Context(), t0.RefreshToken) // tab A
	require.NoError(t, err)
	e.clock.Advance(3 * time.Second)
	t2, err := e.auth.Refresh(t.Context(), t1.RefreshToken) // tab B
	require.NoError(t, err)
	require.NotEqual(t, t1.RefreshToken, t2.RefreshToken)
	e.clock.Advance(3 * time.Second)

	got, err := e.auth.Refresh(t.Context(), t0.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, t2.RefreshToken, got.RefreshToken)

	// The intermediate token inside grace gives the same.
	got, err = e.auth.Refresh(t.Context(), t1.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, t2.RefreshToken, got.RefreshToken)

	_, err = e.auth.Refresh(t.Context(), t2.RefreshToken)
	assert.NoError(t, err)
}

func TestRefreshChainWithStaleLinkIsReuse(t *testing.T) {
	e := newEnv(t)
	t0, _ := loggedIn(t, e)
	t1, err := e.auth.Refresh(t.Context(), t0.RefreshToken)
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	t2, err := e.auth.Refresh(t.Context(), t1.RefreshToken)
	require.NoError(t, err)

	// t0 was rotated a minute ago: far outside grace, even though its
	// successor was rotated just now.
	_, err = e.auth.Refresh(t.Context(), t0.RefreshToken)

	assert.ErrorIs(t, err, application.ErrRefreshReused)
	_, err = e.auth.Refresh(t.Context(), t2.RefreshToken)
	assert.ErrorIs(t, err, domain.ErrUnauthenticated)
}

func TestRefreshWithoutGrace(t *testing.T) {
	cfg := testConfig()
	cfg.ReuseGrace = 0
	e := newEnvWith(t, cfg)
	first, _ := loggedIn(t, e)
	second, err := e.auth.Refresh(t.Context(), first.RefreshToken)
	require.NoError(t, err)

	_, err = e.auth.Refresh(t.Context(), first.RefreshToken)

	require.Error(t, err)
	assert.ErrorIs(t, err, application.ErrRefreshReused)
	_, err = e.auth.Refresh(t.Context(), second.RefreshToken)
	assert.ErrorIs(t, err, domain.ErrUnauthenticated)
	assert.False(t, e.authenticates(t, second.AccessToken))
}

func TestRefreshSlidesSessionExpiry(t *testing.T) {
	e := newEnv(t)
	pair, _ := loggedIn(t, e)

	// Each use extends the session by RefreshTTL, so it outlives the
	// first RefreshTTL as long as it is used.
	for i := range 3 {
		e.clock.Advance(e.cfg.RefreshTTL - time.Hour)
		next, err := e.auth.Refresh(t.Context(), pair.RefreshToken)
		require.NoError(t, err, "refresh %d", i)
		pair = next
	}
	assert.True(t, e.authenticates(t, pair.AccessToken))
}

func TestRefreshRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env, pair application.TokenPair, p application.Principal) string
	}{
		{
			name: "session expired",
			setup: func(t *testing.T, e *env, pair application.TokenPair, _ application.Principal) string {
				e.clock.Advance(e.cfg.RefreshTTL + time.Second)
				return pair.RefreshToken
			},
		},
		{
			name: "session at its expiry",
			setup: func(t *testing.T, e *env, pair application.TokenPair, _ application.Principal) string {
				e.clock.Advance(e.cfg.RefreshTTL)
				return pair.RefreshToken
			},
		},
		{
			name: "account disabled",
			setup: func(t *testing.T, e *env, pair application.TokenPair, p application.Principal) string {
				require.NoError(t, e.users.SetStatus(context.Background(), p.UserID, domain.StatusDisabled, e.clock.Now()))
				return pair.RefreshToken
			},
		},
		{
			name: "session logged out",
			setup: func(t *testing.T, e *env, pair application.TokenPair, p application.Principal) string {
				require.NoError(t, e.auth.Logout(t.Context(), p, application.ScopeLocal))
				return pair.RefreshToken
			},
		},
		{
			name: "unknown token",
			setup: func(*testing.T, *env, application.TokenPair, application.Principal) string {
				return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			},
		},
		{
			name: "access token presented",
			setup: func(_ *testing.T, _ *env, pair application.TokenPair, _ application.Principal) string {
				return pair.AccessToken
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			pair, p := loggedIn(t, e)
			token := tt.setup(t, e, pair, p)

			got, err := e.auth.Refresh(t.Context(), token)

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrUnauthenticated)
			assert.NotErrorIs(t, err, application.ErrRefreshReused)
			assert.Zero(t, got)
		})
	}
}

func TestRefreshDisabledUserInsideGrace(t *testing.T) {
	e := newEnv(t)
	first, p := loggedIn(t, e)
	_, err := e.auth.Refresh(t.Context(), first.RefreshToken)
	require.NoError(t, err)
	require.NoError(t, e.users.SetStatus(context.Background(), p.UserID, domain.StatusDisabled, e.clock.Now()))

	_, err = e.auth.Refresh(t.Context(), first.RefreshToken)

	assert.ErrorIs(t, err, domain.ErrUnauthenticated)
}

func TestRefreshEmptyToken(t *testing.T) {
	e := newEnv(t)

	_, err := e.auth.Refresh(t.Context(), "")

	require.Error(t, err)
	assert.ErrorIs(t, err, domain.ErrInvalid)
	assert.NotErrorIs(t, err, domain.ErrUnauthenticated)
	assert.Equal(t, []string{"refresh_token"}, fieldNames(t, err))
}

func TestRefreshConcurrentInsideGrace(t *testing.T) {
	const clients = 10
	e := newEnv(t)
	first, p := loggedIn(t, e)

	var (
		wg      sync.WaitGroup
		results [clients]application.TokenPair
		errs    [clients]error
		ready   = make(chan struct{})
	)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			results[i], errs[i] = e.auth.Refresh(t.Context(), first.RefreshToken)
		}()
	}
	close(ready)
	wg.Wait()

	for i := range clients {
		require.NoError(t, errs[i], "client %d", i)
	}
	current := results[0].RefreshToken
	assert.NotEqual(t, first.RefreshToken, current)
	for i, r := range results {
		assert.Equal(t, current, r.RefreshToken, "client %d", i)
		assert.True(t, e.authenticates(t, r.AccessToken), "access token of client %d", i)
	}
	s, err := e.sessions.ByID(t.Context(), p.SessionID)
	require.NoError(t, err)
	assert.Nil(t, s.RevokedAt)
	_, err = e.auth.Refresh(t.Context(), current)
	assert.NoError(t, err, "the shared current token still rotates")
}
