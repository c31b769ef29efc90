// Package storetest is one set of tests that every implementation of the
// store ports must pass: the in-memory fakes and the PostgreSQL adapter
// run the same cases.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/domain"
	"auth-service/ports"
)

// Stores is one implementation of the store ports, backed by fresh state
// with the builtin roles present.
type Stores struct {
	Users    ports.UserStore
	Sessions ports.SessionStore
}

// Run runs every contract case, each against fresh stores from newStores.
func Run(t *testing.T, newStores func(t *testing.T) Stores) {
	t.Run("users", func(t *testing.T) { testUsers(t, newStores(t)) })
	t.Run("sessions", func(t *testing.T) { testSessions(t, newStores(t)) })
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func user(n int, email string) domain.User {
	return domain.User{
		ID:           fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		Email:        email,
		Name:         "User " + fmt.Sprint(n),
		Status:       domain.StatusActive,
		PasswordHash: "hash-" + fmt.Sprint(n),
		CreatedAt:    t0,
		UpdatedAt:    t0,
	}
}

func testUsers(t *testing.T, s Stores) {
	ctx := context.Background()
	ana := user(1, "Ana@Example.com")
	require.NoError(t, s.Users.Create(ctx, ana, domain.EmailKey(ana.Email), []string{domain.RoleUser}))
	boss := user(2, "boss@example.com")
	require.NoError(t, s.Users.Create(ctx, boss, domain.EmailKey(boss.Email),
		[]string{domain.RoleUser, domain.RoleAdmin}))

	got, err := s.Users.ByID(ctx, ana.ID)
	require.NoError(t, err)
	assert.Equal(t, ana.Email, got.Email)
	assert.Equal(t, ana.Name, got.Name)
	assert.Equal(t, ana.PasswordHash, got.PasswordHash)
	assert.Equal(t, domain.StatusActive, got.Status)
	assert.True(t, got.CreatedAt.Equal(t0))
	assert.Equal(t, []string{domain.RoleUser}, got.Roles)
	assert.Empty(t, got.Permissions)
	assert.Nil(t, got.DeletedAt)

	admin, err := s.Users.ByEmailKey(ctx, domain.EmailKey("BOSS@example.com"))
	require.NoError(t, err)
	assert.Equal(t, boss.ID, admin.ID)
	assert.Equal(t, []string{domain.RoleAdmin, domain.RoleUser}, admin.Roles)
	assert.Contains(t, admin.Permissions, domain.PermUsersRead)
	assert.Equal(t, domain.SortedUnique(admin.Permissions), admin.Permissions)

	dup := user(3, "ANA@example.COM")
	err = s.Users.Create(ctx, dup, domain.EmailKey(dup.Email), []string{domain.RoleUser})
	assert.ErrorIs(t, err, domain.ErrConflict)
	_, err = s.Users.ByID(ctx, dup.ID)
	assert.ErrorIs(t, err, domain.ErrNotFound, "a refused insert leaves nothing behind")

	for _, id := range []string{user(99, "").ID, "not-a-uuid", ""} {
		_, err = s.Users.ByID(ctx, id)
		assert.ErrorIs(t, err, domain.ErrNotFound, "ByID(%q)", id)
		assert.ErrorIs(t, s.Users.UpdateName(ctx, id, "x", t0), domain.ErrNotFound)
		assert.ErrorIs(t, s.Users.UpdatePasswordHash(ctx, id, "x", t0), domain.ErrNotFound)
	}
	_, err = s.Users.ByEmailKey(ctx, "nobody@example.com")
	assert.ErrorIs(t, err, domain.ErrNotFound)

	later := t0.Add(time.Hour)
	require.NoError(t, s.Users.UpdateName(ctx, ana.ID, "Ana Lima", later))
	require.NoError(t, s.Users.UpdatePasswordHash(ctx, ana.ID, "new-hash", later))
	got, err = s.Users.ByID(ctx, ana.ID)
	require.NoError(t, err)
	assert.Equal(t, "Ana Lima", got.Name)
	assert.Equal(t, "new-hash", got.PasswordHash)
	assert.True(t, got.UpdatedAt.Equal(later))
}

func session(n int, userID string, created time.Time) (domain.Session, domain.RefreshToken) {
	id := fmt.Sprintf("00000000-0000-4000-9000-%012d", n)
	s := domain.Session{
		ID:         id,
		UserID:     userID,
		CreatedAt:  created,
		LastUsedAt: created,
		ExpiresAt:  created.Add(24 * time.Hour),
		IP:         "192.0.2.1",
		UserAgent:  "curl/8",
	}
	return s, domain.RefreshToken{
		Hash:      domain.HashRefreshToken(fmt.Sprint("token-", n)),
		SessionID: id,
		CreatedAt: created,
	}
}

func testSessions(t *testing.T, s Stores) {
	ctx := context.Background()
	ana, bob := user(1, "ana@example.com"), user(2, "bob@example.com")
	for _, u := range []domain.User{ana, bob} {
		require.NoError(t, s.Users.Create(ctx, u, domain.EmailKey(u.Email), []string{domain.RoleUser}))
	}
	s1, rt1 := session(1, ana.ID, t0)
	s2, rt2 := session(2, ana.ID, t0.Add(time.Minute))
	s3, rt3 := session(3, bob.ID, t0)
	for _, p := range []struct {
		s  domain.Session
		rt domain.RefreshToken
	}{{s1, rt1}, {s2, rt2}, {s3, rt3}} {
		require.NoError(t, s.Sessions.Create(ctx, p.s, p.rt))
	}

	got, err := s.Sessions.ByID(ctx, s1.ID)
	require.NoError(t, err)
	assert.Equal(t, s1.UserID, got.UserID)
	assert.Equal(t, "192.0.2.1", got.IP)
	assert.Equal(t, "curl/8", got.UserAgent)
	assert.True(t, got.ExpiresAt.Equal(s1.ExpiresAt))
	_, err = s.Sessions.ByID(ctx, "nope")
	assert.ErrorIs(t, err, domain.ErrNotFound)

	list, err := s.Sessions.ListByUser(ctx, ana.ID, t0.Add(2*time.Minute))
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, s2.ID, list[0].ID, "newest first")

	tok, sess, err := s.Sessions.LockToken(ctx, rt1.Hash)
	require.NoError(t, err)
	assert.Equal(t, s1.ID, sess.ID)
	assert.Nil(t, tok.RotatedAt)
	_, _, err = s.Sessions.LockToken(ctx, domain.HashRefreshToken("unknown"))
	assert.ErrorIs(t, err, domain.ErrNotFound)

	// Rotation keeps the old token, marked, with its sealed successor.
	now := t0.Add(5 * time.Minute)
	next := domain.RefreshToken{Hash: domain.HashRefreshToken("token-1b"), SessionID: s1.ID, CreatedAt: now}
	box := []byte("sealed successor")
	require.NoError(t, s.Sessions.Rotate(ctx, rt1.Hash, box, next, now, now.Add(48*time.Hour)))
	old, err := s.Sessions.Token(ctx, rt1.Hash)
	require.NoError(t, err)
	require.NotNil(t, old.RotatedAt)
	assert.True(t, old.RotatedAt.Equal(now))
	assert.Equal(t, box, old.SuccessorBox)
	fresh, err := s.Sessions.Token(ctx, next.Hash)
	require.NoError(t, err)
	assert.Nil(t, fresh.RotatedAt)
	got, err = s.Sessions.ByID(ctx, s1.ID)
	require.NoError(t, err)
	assert.True(t, got.LastUsedAt.Equal(now))
	assert.True(t, got.ExpiresAt.Equal(now.Add(48*time.Hour)))
	other := domain.RefreshToken{Hash: domain.HashRefreshToken("token-1c"), SessionID: s1.ID, CreatedAt: now}
	assert.Error(t, s.Sessions.Rotate(ctx, rt1.Hash, box, other, now, now),
		"a token rotates only once")

	// Revocation is scoped to the owner and to active sessions.
	assert.ErrorIs(t, s.Sessions.Revoke(ctx, bob.ID, s1.ID, now), domain.ErrNotFound)
	assert.ErrorIs(t, s.Sessions.Revoke(ctx, ana.ID, "bad id", now), domain.ErrNotFound)
	require.NoError(t, s.Sessions.Revoke(ctx, ana.ID, s1.ID, now))
	assert.ErrorIs(t, s.Sessions.Revoke(ctx, ana.ID, s1.ID, now), domain.ErrNotFound)
	got, err = s.Sessions.ByID(ctx, s1.ID)
	require.NoError(t, err)
	assert.False(t, got.Active(now))

	s4, rt4 := session(4, ana.ID, now)
	require.NoError(t, s.Sessions.Create(ctx, s4, rt4))
	n, err := s.Sessions.RevokeAll(ctx, ana.ID, s4.ID, now)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "only s2 was still active besides the kept one")
	list, err = s.Sessions.ListByUser(ctx, ana.ID, now)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, s4.ID, list[0].ID)
	bobs, err := s.Sessions.ListByUser(ctx, bob.ID, now)
	require.NoError(t, err)
	assert.Len(t, bobs, 1, "another user's sessions are untouched")

	n, err = s.Sessions.RevokeAll(ctx, ana.ID, "", now)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	list, err = s.Sessions.ListByUser(ctx, ana.ID, now)
	require.NoError(t, err)
	assert.Empty(t, list)
}
