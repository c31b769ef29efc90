// Package storetest is one set of tests that every implementation of the
// store ports must pass: the in-memory fakes and the PostgreSQL adapter
// run the same cases.
package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/domain"
	"auth-service/ports"
)

// Stores is one implementation of the store ports, backed by fresh state
// with the builtin roles and permissions present. Admin and Roles work on
// the same users as Users.
type Stores struct {
	Users    ports.UserStore
	Sessions ports.SessionStore
	Admin    ports.UserAdmin
	Roles    ports.RoleAdmin
	Resets   ports.ResetStore
	Audit    ports.AuditLog
}

// Run runs every contract case, each against fresh stores from newStores.
// Times are whole microseconds in UTC, as PostgreSQL keeps them.
// LockAdmins is not covered: it only means something inside a transaction.
func Run(t *testing.T, newStores func(t *testing.T) Stores) {
	t.Run("users", func(t *testing.T) { testUsers(t, newStores(t)) })
	t.Run("sessions", func(t *testing.T) { testSessions(t, newStores(t)) })
	t.Run("user admin", func(t *testing.T) { testUserAdmin(t, newStores(t)) })
	t.Run("roles", func(t *testing.T) { testRoles(t, newStores(t)) })
	t.Run("resets", func(t *testing.T) { testResets(t, newStores(t)) })
	t.Run("audit", func(t *testing.T) { testAudit(t, newStores(t)) })
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
	locked, err := s.Users.Lock(ctx, ana.ID)
	require.NoError(t, err)
	assert.Equal(t, got, locked, "Lock reads what ByID reads")
	_, err = s.Users.Lock(ctx, "00000000-0000-4000-8000-00000000dead")
	assert.ErrorIs(t, err, domain.ErrNotFound)
	_, err = s.Users.Lock(ctx, "not an id")
	assert.ErrorIs(t, err, domain.ErrNotFound)
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
	locked, err := s.Sessions.Lock(ctx, s1.ID)
	require.NoError(t, err)
	assert.Equal(t, got, locked, "Lock reads what ByID reads")
	_, err = s.Sessions.Lock(ctx, "00000000-0000-4000-8000-00000000dead")
	assert.ErrorIs(t, err, domain.ErrNotFound)
	_, err = s.Sessions.Lock(ctx, "nope")
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

func at(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

func ids(us []domain.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func testUserAdmin(t *testing.T, s Stores) {
	ctx := context.Background()
	mk := func(n int, email, name string, roles ...string) domain.User {
		u := user(n, email)
		u.Name = name
		u.CreatedAt = t0.Add(time.Duration(n) * time.Minute)
		u.UpdatedAt = u.CreatedAt
		require.NoError(t, s.Users.Create(ctx, u, domain.EmailKey(u.Email), roles))
		return u
	}
	ana := mk(1, "Ana@Example.com", "Ana Lima", domain.RoleUser)
	boss := mk(2, "boss@example.com", "The Boss", domain.RoleUser, domain.RoleAdmin)
	pct := mk(3, "pct@example.com", "100% sure", domain.RoleUser)
	under := mk(4, "under_score@example.com", "Under Score", domain.RoleUser)
	carl := mk(5, "carl@example.com", "Carl", domain.RoleUser, domain.RoleAdmin)
	dora := mk(6, "dora@example.com", "Dora", domain.RoleUser, domain.RoleAdmin)

	now := t0.Add(time.Hour)
	require.NoError(t, s.Admin.SetStatus(ctx, carl.ID, domain.StatusDisabled, now))
	require.NoError(t, s.Admin.SetDeleted(ctx, dora.ID, at(time.Hour), now))
	got, err := s.Users.ByID(ctx, carl.ID)
	require.NoError(t, err)
	assert.Equal(t, domain.StatusDisabled, got.Status)
	assert.True(t, got.UpdatedAt.Equal(now))
	got, err = s.Users.ByID(ctx, dora.ID)
	require.NoError(t, err)
	require.NotNil(t, got.DeletedAt)
	assert.True(t, got.DeletedAt.Equal(t0.Add(time.Hour)))
	assert.Equal(t, domain.StatusActive, got.Status, "deletion keeps the status")

	all := func(f ports.UserFilter) ports.UserFilter {
		if f.Page == 0 {
			f.Page, f.PerPage = 1, 50
		}
		return f
	}
	for _, tt := range []struct {
		name  string
		f     ports.UserFilter
		want  []domain.User
		total int
	}{
		{name: "everyone newest first", f: all(ports.UserFilter{}),
			want: []domain.User{dora, carl, under, pct, boss, ana}, total: 6},
		{name: "query ignores case in email and name", f: all(ports.UserFilter{Query: "ANA"}),
			want: []domain.User{ana}, total: 1},
		{name: "query on name only", f: all(ports.UserFilter{Query: "lima"}),
			want: []domain.User{ana}, total: 1},
		{name: "query on both", f: all(ports.UserFilter{Query: "Score"}),
			want: []domain.User{under}, total: 1},
		{name: "percent is literal", f: all(ports.UserFilter{Query: "0%"}),
			want: []domain.User{pct}, total: 1},
		{name: "lone percent is literal", f: all(ports.UserFilter{Query: "%"}),
			want: []domain.User{pct}, total: 1},
		{name: "percent wildcard matches nothing", f: all(ports.UserFilter{Query: "a%e"}),
			want: nil, total: 0},
		{name: "underscore is literal", f: all(ports.UserFilter{Query: "_"}),
			want: []domain.User{under}, total: 1},
		{name: "underscore wildcard matches nothing", f: all(ports.UserFilter{Query: "c_rl"}),
			want: nil, total: 0},
		{name: "active excludes disabled and deleted", f: all(ports.UserFilter{Status: "active"}),
			want: []domain.User{under, pct, boss, ana}, total: 4},
		{name: "disabled", f: all(ports.UserFilter{Status: "disabled"}),
			want: []domain.User{carl}, total: 1},
		{name: "deleted", f: all(ports.UserFilter{Status: "deleted"}),
			want: []domain.User{dora}, total: 1},
		{name: "role", f: all(ports.UserFilter{Role: domain.RoleAdmin}),
			want: []domain.User{dora, carl, boss}, total: 3},
		{name: "unknown role", f: all(ports.UserFilter{Role: "ghost"}), want: nil, total: 0},
		{name: "role and status", f: all(ports.UserFilter{Role: domain.RoleAdmin, Status: "active"}),
			want: []domain.User{boss}, total: 1},
		{name: "first page", f: ports.UserFilter{Page: 1, PerPage: 4},
			want: []domain.User{dora, carl, under, pct}, total: 6},
		{name: "last page", f: ports.UserFilter{Page: 2, PerPage: 4},
			want: []domain.User{boss, ana}, total: 6},
		{name: "past the end", f: ports.UserFilter{Page: 3, PerPage: 4}, want: nil, total: 6},
		{name: "filtered page", f: ports.UserFilter{Status: "active", Page: 2, PerPage: 3},
			want: []domain.User{ana}, total: 4},
		{name: "sort by email", f: all(ports.UserFilter{Sort: "email"}),
			want: []domain.User{ana, boss, carl, dora, pct, under}, total: 6},
		{name: "sort by name descending", f: all(ports.UserFilter{Sort: "-name"}),
			want: []domain.User{under, boss, dora, carl, ana, pct}, total: 6},
		{name: "sort oldest first", f: all(ports.UserFilter{Sort: "created_at"}),
			want: []domain.User{ana, boss, pct, under, carl, dora}, total: 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := s.Admin.List(ctx, tt.f)
			require.NoError(t, err)
			assert.Equal(t, ids(tt.want), ids(list))
			assert.Equal(t, tt.total, total)
		})
	}
	_, _, err = s.Admin.List(ctx, all(ports.UserFilter{Sort: "password_hash"}))
	assert.ErrorIs(t, err, domain.ErrInvalid, "sort keys are whitelisted")

	list, _, err := s.Admin.List(ctx, all(ports.UserFilter{Query: "boss"}))
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, []string{domain.RoleAdmin, domain.RoleUser}, list[0].Roles)
	assert.Contains(t, list[0].Permissions, domain.PermUsersRead)

	// Deletion can be undone.
	require.NoError(t, s.Admin.SetDeleted(ctx, ana.ID, at(2*time.Hour), now))
	require.NoError(t, s.Admin.SetDeleted(ctx, ana.ID, nil, now))
	got, err = s.Users.ByID(ctx, ana.ID)
	require.NoError(t, err)
	assert.Nil(t, got.DeletedAt)

	for _, id := range []string{user(99, "").ID, "not-a-uuid"} {
		assert.ErrorIs(t, s.Admin.SetStatus(ctx, id, domain.StatusDisabled, now), domain.ErrNotFound)
		assert.ErrorIs(t, s.Admin.SetDeleted(ctx, id, &now, now), domain.ErrNotFound)
		assert.ErrorIs(t, s.Admin.SetRoles(ctx, id, []string{domain.RoleUser}), domain.ErrNotFound)
		assert.ErrorIs(t, s.Admin.Purge(ctx, id), domain.ErrNotFound)
	}

	// Roles: an unknown one refuses the whole change.
	require.NoError(t, s.Admin.SetRoles(ctx, ana.ID, []string{domain.RoleUser, domain.RoleAdmin}))
	got, err = s.Users.ByID(ctx, ana.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{domain.RoleAdmin, domain.RoleUser}, got.Roles)
	assert.Contains(t, got.Permissions, domain.PermRolesAssign)
	err = s.Admin.SetRoles(ctx, ana.ID, []string{domain.RoleUser, "ghost"})
	assert.ErrorIs(t, err, domain.ErrNotFound)
	got, err = s.Users.ByID(ctx, ana.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{domain.RoleAdmin, domain.RoleUser}, got.Roles, "roles unchanged")

	admins, err := s.Admin.ActiveAdmins(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{ana.ID, boss.ID}, admins, "carl is disabled, dora deleted")

	require.NoError(t, s.Admin.SetRoles(ctx, ana.ID, []string{domain.RoleUser}))
	got, err = s.Users.ByID(ctx, ana.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{domain.RoleUser}, got.Roles)
	assert.Empty(t, got.Permissions)
	admins, err = s.Admin.ActiveAdmins(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{boss.ID}, admins)

	// Expired deletions come oldest first, strictly before the cutoff.
	require.NoError(t, s.Admin.SetDeleted(ctx, under.ID, at(2*time.Hour), now))
	require.NoError(t, s.Admin.SetDeleted(ctx, pct.ID, at(3*time.Hour), now))
	expired, err := s.Admin.DeletedBefore(ctx, t0.Add(3*time.Hour), 10)
	require.NoError(t, err)
	assert.Equal(t, []string{dora.ID, under.ID}, expired)
	expired, err = s.Admin.DeletedBefore(ctx, t0.Add(4*time.Hour), 2)
	require.NoError(t, err)
	assert.Equal(t, []string{dora.ID, under.ID}, expired, "the limit keeps the oldest")
	expired, err = s.Admin.DeletedBefore(ctx, t0.Add(time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, expired)

	require.NoError(t, s.Admin.Purge(ctx, dora.ID))
	_, err = s.Users.ByID(ctx, dora.ID)
	assert.ErrorIs(t, err, domain.ErrNotFound)
	assert.ErrorIs(t, s.Admin.Purge(ctx, dora.ID), domain.ErrNotFound)
	expired, err = s.Admin.DeletedBefore(ctx, t0.Add(4*time.Hour), 10)
	require.NoError(t, err)
	assert.Equal(t, []string{under.ID, pct.ID}, expired)
	_, total, err := s.Admin.List(ctx, all(ports.UserFilter{}))
	require.NoError(t, err)
	assert.Equal(t, 5, total)
}

func testRoles(t *testing.T, s Stores) {
	ctx := context.Background()
	var builtin []string
	for _, p := range domain.BuiltinPermissions() {
		builtin = append(builtin, p.Name)
	}
	builtin = domain.SortedUnique(builtin)

	roles, err := s.Roles.Roles(ctx)
	require.NoError(t, err)
	require.Len(t, roles, 2)
	assert.Equal(t, domain.RoleAdmin, roles[0].Name)
	assert.True(t, roles[0].System)
	assert.Equal(t, builtin, roles[0].Permissions, "permissions sorted by name")
	assert.Equal(t, domain.RoleUser, roles[1].Name)
	assert.True(t, roles[1].System)
	assert.Empty(t, roles[1].Permissions)
	_, err = s.Roles.Role(ctx, "ghost")
	assert.ErrorIs(t, err, domain.ErrNotFound)

	support := domain.Role{Name: "support", Description: "Helps",
		Permissions: []string{domain.PermUsersRead, domain.PermAuditRead, domain.PermUsersRead}}
	require.NoError(t, s.Roles.CreateRole(ctx, support))
	got, err := s.Roles.Role(ctx, "support")
	require.NoError(t, err)
	assert.Equal(t, domain.Role{Name: "support", Description: "Helps",
		Permissions: []string{domain.PermAuditRead, domain.PermUsersRead}}, got)

	for _, tt := range []struct {
		name string
		role domain.Role
		want error
	}{
		{name: "duplicate", role: domain.Role{Name: "support"}, want: domain.ErrConflict},
		{name: "builtin", role: domain.Role{Name: domain.RoleAdmin}, want: domain.ErrConflict},
		{name: "unknown permission", role: domain.Role{Name: "ghostly",
			Permissions: []string{domain.PermUsersRead, "nope:nope"}}, want: domain.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, s.Roles.CreateRole(ctx, tt.role), tt.want)
		})
	}
	_, err = s.Roles.Role(ctx, "ghostly")
	assert.ErrorIs(t, err, domain.ErrNotFound, "a refused role leaves nothing behind")
	got, err = s.Roles.Role(ctx, "support")
	require.NoError(t, err)
	assert.Equal(t, "Helps", got.Description, "a refused duplicate changes nothing")

	require.NoError(t, s.Roles.CreateRole(ctx, domain.Role{Name: "auditor", System: true}))
	got, err = s.Roles.Role(ctx, "auditor")
	require.NoError(t, err)
	assert.False(t, got.System, "created roles are never system roles")
	assert.Empty(t, got.Permissions)

	require.NoError(t, s.Roles.DescribeRole(ctx, "support", "Answers tickets"))
	got, err = s.Roles.Role(ctx, "support")
	require.NoError(t, err)
	assert.Equal(t, "Answers tickets", got.Description)
	assert.ErrorIs(t, s.Roles.DescribeRole(ctx, "ghost", "x"), domain.ErrNotFound)

	// A holder's effective permissions follow the role at once.
	ana := user(1, "ana@example.com")
	require.NoError(t, s.Users.Create(ctx, ana, domain.EmailKey(ana.Email),
		[]string{domain.RoleUser, "support"}))
	u, err := s.Users.ByID(ctx, ana.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{domain.PermAuditRead, domain.PermUsersRead}, u.Permissions)

	require.NoError(t, s.Roles.SetRolePermissions(ctx, "support",
		[]string{domain.PermRolesRead, domain.PermBackupsRead}))
	got, err = s.Roles.Role(ctx, "support")
	require.NoError(t, err)
	assert.Equal(t, []string{domain.PermBackupsRead, domain.PermRolesRead}, got.Permissions)
	u, err = s.Users.ByID(ctx, ana.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{domain.PermBackupsRead, domain.PermRolesRead}, u.Permissions)

	err = s.Roles.SetRolePermissions(ctx, "support", []string{domain.PermUsersRead, "nope:nope"})
	assert.ErrorIs(t, err, domain.ErrNotFound)
	got, err = s.Roles.Role(ctx, "support")
	require.NoError(t, err)
	assert.Equal(t, []string{domain.PermBackupsRead, domain.PermRolesRead}, got.Permissions,
		"a refused change keeps the old permissions")
	assert.ErrorIs(t, s.Roles.SetRolePermissions(ctx, "ghost", nil), domain.ErrNotFound)

	// A grant adds and keeps: held ones stay, a repeat is harmless.
	require.NoError(t, s.Roles.GrantPermissions(ctx, "support",
		[]string{domain.PermUsersRead, domain.PermRolesRead}))
	got, err = s.Roles.Role(ctx, "support")
	require.NoError(t, err)
	assert.Equal(t, []string{domain.PermBackupsRead, domain.PermRolesRead, domain.PermUsersRead}, got.Permissions)
	assert.ErrorIs(t, s.Roles.GrantPermissions(ctx, "support", []string{"nope:nope"}), domain.ErrNotFound)
	assert.ErrorIs(t, s.Roles.GrantPermissions(ctx, "ghost", []string{domain.PermUsersRead}), domain.ErrNotFound)
	got, err = s.Roles.Role(ctx, "support")
	require.NoError(t, err)
	assert.Len(t, got.Permissions, 3, "a refused grant changes nothing")

	require.NoError(t, s.Roles.SetRolePermissions(ctx, "support", nil))
	u, err = s.Users.ByID(ctx, ana.ID)
	require.NoError(t, err)
	assert.Empty(t, u.Permissions)

	assert.ErrorIs(t, s.Roles.DeleteRole(ctx, "support"), domain.ErrConflict, "ana holds it")
	_, err = s.Roles.Role(ctx, "support")
	assert.NoError(t, err)
	require.NoError(t, s.Roles.DeleteRole(ctx, "auditor"))
	_, err = s.Roles.Role(ctx, "auditor")
	assert.ErrorIs(t, err, domain.ErrNotFound)
	assert.ErrorIs(t, s.Roles.DeleteRole(ctx, "auditor"), domain.ErrNotFound)
	assert.ErrorIs(t, s.Roles.DeleteRole(ctx, "ghost"), domain.ErrNotFound)

	reports := domain.Permission{Name: "reports:read", Description: "Read reports"}
	require.NoError(t, s.Roles.CreatePermission(ctx, reports))
	assert.ErrorIs(t, s.Roles.CreatePermission(ctx, reports), domain.ErrConflict)
	assert.ErrorIs(t, s.Roles.CreatePermission(ctx,
		domain.Permission{Name: domain.PermUsersRead}), domain.ErrConflict)
	perms, err := s.Roles.Permissions(ctx)
	require.NoError(t, err)
	require.Len(t, perms, len(builtin)+1)
	assert.Contains(t, perms, reports)
	assert.Contains(t, perms, domain.BuiltinPermissions()[0])
	for i := 1; i < len(perms); i++ {
		assert.Less(t, perms[i-1].Name, perms[i].Name, "by name")
	}
	require.NoError(t, s.Roles.CreateRole(ctx, domain.Role{Name: "reporter",
		Permissions: []string{reports.Name}}))
	got, err = s.Roles.Role(ctx, "reporter")
	require.NoError(t, err)
	assert.Equal(t, []string{reports.Name}, got.Permissions)
}

func reset(name, userID string, created time.Time) domain.ResetToken {
	h := sha256.Sum256([]byte(name))
	return domain.ResetToken{Hash: h[:], UserID: userID, CreatedAt: created,
		ExpiresAt: created.Add(time.Hour)}
}

func testResets(t *testing.T, s Stores) {
	ctx := context.Background()
	ana, bob := user(1, "ana@example.com"), user(2, "bob@example.com")
	for _, u := range []domain.User{ana, bob} {
		require.NoError(t, s.Users.Create(ctx, u, domain.EmailKey(u.Email), []string{domain.RoleUser}))
	}
	lock := func(tok domain.ResetToken) domain.ResetToken {
		t.Helper()
		got, err := s.Resets.Lock(ctx, tok.Hash)
		require.NoError(t, err)
		return got
	}

	r1 := reset("reset-1", ana.ID, t0)
	require.NoError(t, s.Resets.Replace(ctx, r1))
	b1 := reset("reset-b1", bob.ID, t0)
	require.NoError(t, s.Resets.Replace(ctx, b1))
	assert.Equal(t, r1, lock(r1))

	r2 := reset("reset-2", ana.ID, t0.Add(10*time.Minute))
	require.NoError(t, s.Resets.Replace(ctx, r2))
	old := lock(r1)
	require.NotNil(t, old.UsedAt, "a new token retires the older ones")
	assert.True(t, old.UsedAt.Equal(r2.CreatedAt))
	assert.Nil(t, lock(r2).UsedAt)
	assert.Nil(t, lock(b1).UsedAt, "another user's token is untouched")

	_, err := s.Resets.Lock(ctx, reset("unknown", ana.ID, t0).Hash)
	assert.ErrorIs(t, err, domain.ErrNotFound)

	used := t0.Add(20 * time.Minute)
	require.NoError(t, s.Resets.UseAll(ctx, ana.ID, used))
	got := lock(r2)
	require.NotNil(t, got.UsedAt)
	assert.True(t, got.UsedAt.Equal(used))
	assert.True(t, lock(r1).UsedAt.Equal(r2.CreatedAt), "a used token keeps its time")
	assert.Nil(t, lock(b1).UsedAt)
	require.NoError(t, s.Resets.UseAll(ctx, user(99, "").ID, used), "nothing to retire")
}

func testAudit(t *testing.T, s Stores) {
	ctx := context.Background()
	ana, bob := user(1, "").ID, user(2, "").ID
	events := []domain.AuditEvent{
		{At: t0, ActorID: ana, Action: domain.AuditUserRolesSet, TargetType: "user",
			TargetID: bob, IP: "192.0.2.1",
			Details: map[string]any{"route": "admin", "roles": []string{"admin", "user"}}},
		{At: t0.Add(time.Minute), Action: domain.AuditLoginFailure, IP: "192.0.2.2"},
		{At: t0.Add(2 * time.Minute), ActorID: ana, Action: domain.AuditLoginSuccess},
		{At: t0.Add(3 * time.Minute), ActorID: bob, Action: domain.AuditLoginSuccess},
	}
	for _, e := range events {
		require.NoError(t, s.Audit.Append(ctx, e))
	}

	list, total, err := s.Audit.List(ctx, ports.AuditFilter{Page: 1, PerPage: 10})
	require.NoError(t, err)
	assert.Equal(t, 4, total)
	require.Len(t, list, 4)
	for i := 1; i < len(list); i++ {
		assert.Greater(t, list[i-1].ID, list[i].ID, "newest first")
	}
	first := list[3]
	assert.NotZero(t, first.ID)
	assert.True(t, first.At.Equal(t0))
	assert.Equal(t, ana, first.ActorID)
	assert.Equal(t, domain.AuditUserRolesSet, first.Action)
	assert.Equal(t, "user", first.TargetType)
	assert.Equal(t, bob, first.TargetID)
	assert.Equal(t, "192.0.2.1", first.IP)
	assert.Equal(t, map[string]any{"route": "admin", "roles": []any{"admin", "user"}}, first.Details,
		"details come back as decoded JSON")
	anonymous := list[2]
	assert.Empty(t, anonymous.ActorID)
	assert.Equal(t, domain.AuditLoginFailure, anonymous.Action)
	assert.Empty(t, anonymous.Details)

	actions := func(es []domain.AuditEvent) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.Action + "@" + e.At.Format("15:04")
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		f     ports.AuditFilter
		want  []domain.AuditEvent
		total int
	}{
		{name: "all", f: ports.AuditFilter{Page: 1, PerPage: 10},
			want: []domain.AuditEvent{events[3], events[2], events[1], events[0]}, total: 4},
		{name: "by actor", f: ports.AuditFilter{ActorID: ana, Page: 1, PerPage: 10},
			want: []domain.AuditEvent{events[2], events[0]}, total: 2},
		{name: "by action", f: ports.AuditFilter{Action: domain.AuditLoginSuccess, Page: 1, PerPage: 10},
			want: []domain.AuditEvent{events[3], events[2]}, total: 2},
		{name: "by actor and action",
			f:    ports.AuditFilter{ActorID: ana, Action: domain.AuditLoginSuccess, Page: 1, PerPage: 10},
			want: []domain.AuditEvent{events[2]}, total: 1},
		{name: "unknown actor", f: ports.AuditFilter{ActorID: user(99, "").ID, Page: 1, PerPage: 10},
			want: nil, total: 0},
		{name: "first page", f: ports.AuditFilter{Page: 1, PerPage: 3},
			want: []domain.AuditEvent{events[3], events[2], events[1]}, total: 4},
		{name: "second page", f: ports.AuditFilter{Page: 2, PerPage: 3},
			want: []domain.AuditEvent{events[0]}, total: 4},
		{name: "past the end", f: ports.AuditFilter{Page: 3, PerPage: 3}, want: nil, total: 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := s.Audit.List(ctx, tt.f)
			require.NoError(t, err)
			assert.Equal(t, actions(tt.want), actions(list))
			assert.Equal(t, tt.total, total)
		})
	}
	_, _, err = s.Audit.List(ctx, ports.AuditFilter{ActorID: "not-a-uuid", Page: 1, PerPage: 10})
	assert.ErrorIs(t, err, domain.ErrInvalid, "an actor filter must be a user id")
}
