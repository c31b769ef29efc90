package application_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
)

func TestAccountMe(t *testing.T) {
	e := newEnv(t)
	u, err := e.auth.Register(t.Context(), "Ana@Example.com", goodPassword, "Ana")
	require.NoError(t, err)
	_, p := e.login(t, "ana@example.com")

	me, err := e.account.Me(t.Context(), p)
	require.NoError(t, err)

	assert.Equal(t, u.ID, me.ID)
	assert.Equal(t, "Ana@Example.com", me.Email)
	assert.Equal(t, "Ana", me.Name)
	assert.Equal(t, domain.StatusActive, me.Status)
	assert.Equal(t, []string{domain.RoleUser}, me.Roles)
	assert.Empty(t, me.Permissions)
}

func TestAccountMeUnknownUser(t *testing.T) {
	e := newEnv(t)

	_, err := e.account.Me(t.Context(), application.Principal{UserID: "nobody"})

	assert.ErrorIs(t, err, domain.ErrNotFound)
}

func TestAccountUpdateName(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		wantName string
		wantErr  bool
	}{
		{name: "plain", input: "Ana Lima", wantName: "Ana Lima"},
		{name: "trimmed", input: "  Ana Lima \t", wantName: "Ana Lima"},
		{name: "composed", input: "Jose\u0301", wantName: "Jos\u00e9"},
		{name: "cleared", input: "   ", wantName: ""},
		{name: "100 characters", input: strings.Repeat("ñ", 100), wantName: strings.Repeat("ñ", 100)},
		{name: "101 characters", input: strings.Repeat("n", 101), wantErr: true},
		{name: "control character", input: "Ana\x1bLima", wantErr: true},
		{name: "invalid UTF-8", input: "Ana\xffLima", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.auth.Register(t.Context(), "ana@example.com", goodPassword, "Old Name")
			require.NoError(t, err)
			_, p := e.login(t, "ana@example.com")
			e.clock.Advance(time.Hour)

			u, err := e.account.UpdateName(t.Context(), p, tt.input)

			stored := e.stored(t, "ana@example.com")
			if tt.wantErr {
				require.Error(t, err)
				assert.ErrorIs(t, err, domain.ErrInvalid)
				assert.Equal(t, []string{"name"}, fieldNames(t, err))
				assert.Equal(t, "Old Name", stored.Name)
				assert.True(t, stored.UpdatedAt.Equal(start), "updated at %v", stored.UpdatedAt)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantName, u.Name)
			assert.Equal(t, p.UserID, u.ID)
			assert.Equal(t, tt.wantName, stored.Name)
			assert.True(t, stored.UpdatedAt.Equal(start.Add(time.Hour)),
				"updated at %v", stored.UpdatedAt)
		})
	}
}

func TestAccountSessions(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ana@example.com")
	e.register(t, "bob@example.com")
	var principals []application.Principal
	for range 3 {
		_, p := e.login(t, "ana@example.com")
		principals = append(principals, p)
		e.clock.Advance(time.Minute)
	}
	e.login(t, "bob@example.com")
	current := principals[1]
	// A revoked session is no longer listed.
	require.NoError(t, e.auth.Logout(t.Context(), principals[0], application.ScopeLocal))

	list, err := e.account.Sessions(t.Context(), current)
	require.NoError(t, err)

	require.Len(t, list, 2)
	assert.Equal(t, principals[2].SessionID, list[0].ID, "newest first")
	assert.Equal(t, principals[1].SessionID, list[1].ID)
	assert.False(t, list[0].Current)
	assert.True(t, list[1].Current)
	for _, s := range list {
		assert.Equal(t, current.UserID, s.UserID)
		assert.Equal(t, "192.0.2.1", s.IP)
		assert.Equal(t, "test-agent", s.UserAgent)
	}
	assert.True(t, list[0].CreatedAt.After(list[1].CreatedAt))
}

func TestAccountSessionsOmitsExpired(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ana@example.com")
	_, old := e.login(t, "ana@example.com")
	e.clock.Advance(e.cfg.RefreshTTL - time.Minute)
	_, p := e.login(t, "ana@example.com")
	e.clock.Advance(2 * time.Minute)

	list, err := e.account.Sessions(t.Context(), p)
	require.NoError(t, err)

	require.Len(t, list, 1)
	assert.Equal(t, p.SessionID, list[0].ID)
	assert.NotEqual(t, old.SessionID, list[0].ID)
	assert.True(t, list[0].Current)
}

func TestAccountRevokeSession(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ana@example.com")
	e.register(t, "bob@example.com")
	anaPair, ana := e.login(t, "ana@example.com")
	anaOther, anaOtherP := e.login(t, "ana@example.com")
	bobPair, bob := e.login(t, "bob@example.com")

	tests := []struct {
		name      string
		sessionID string
		wantErr   error
		check     func(t *testing.T)
	}{
		{
			name:      "another user's session",
			sessionID: bob.SessionID,
			wantErr:   domain.ErrNotFound,
			check: func(t *testing.T) {
				assert.True(t, e.authenticates(t, bobPair.AccessToken))
				s, err := e.sessions.ByID(t.Context(), bob.SessionID)
				require.NoError(t, err)
				assert.True(t, s.Active(e.clock.Now()))
			},
		},
		{
			name:      "unknown session",
			sessionID: "00000000-0000-4000-8000-999999999999",
			wantErr:   domain.ErrNotFound,
		},
		{
			name:      "own other session",
			sessionID: anaOtherP.SessionID,
			check: func(t *testing.T) {
				assert.False(t, e.authenticates(t, anaOther.AccessToken))
				_, err := e.auth.Refresh(t.Context(), anaOther.RefreshToken)
				assert.ErrorIs(t, err, domain.ErrUnauthenticated)
			},
		},
		{
			name:      "own session already revoked",
			sessionID: anaOtherP.SessionID,
			wantErr:   domain.ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.account.RevokeSession(t.Context(), ana, tt.sessionID)

			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
			}
			if tt.check != nil {
				tt.check(t)
			}
			assert.True(t, e.authenticates(t, anaPair.AccessToken),
				"the caller's own session survives")
		})
	}
	got, err := e.account.Sessions(t.Context(), ana)
	require.NoError(t, err)
	require.Len(t, got, 1, "only the caller's own session is left")
	assert.Equal(t, ana.SessionID, got[0].ID)
}
