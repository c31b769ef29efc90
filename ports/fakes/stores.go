package fakes

import (
	"bytes"
	"context"
	"sort"
	"sync"
	"time"

	"auth-service/domain"
	"auth-service/ports"
)

var (
	_ ports.UserStore    = (*Users)(nil)
	_ ports.SessionStore = (*Sessions)(nil)
)

type userRow struct {
	user  domain.User
	key   string
	roles []string
}

// Users is an in-memory UserStore. Role permissions come from
// RolePermissions (role name to permission names).
type Users struct {
	mu              sync.Mutex
	rows            map[string]*userRow
	RolePermissions map[string][]string
}

// NewUsers returns an empty store that knows the builtin roles.
func NewUsers() *Users {
	rp := map[string][]string{}
	for _, r := range domain.BuiltinRoles() {
		rp[r.Name] = r.Permissions
	}
	return &Users{rows: map[string]*userRow{}, RolePermissions: rp}
}

// Create inserts u unless its email key is taken.
func (s *Users) Create(_ context.Context, u domain.User, key string, roles []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rows {
		if r.key == key {
			return domain.NewError(domain.ErrConflict, "email_taken",
				"an account with this email already exists")
		}
	}
	s.rows[u.ID] = &userRow{user: u, key: key, roles: append([]string(nil), roles...)}
	return nil
}

func (s *Users) view(r *userRow) domain.User {
	u := r.user
	u.Roles = domain.SortedUnique(r.roles)
	var perms []string
	for _, role := range r.roles {
		perms = append(perms, s.RolePermissions[role]...)
	}
	u.Permissions = domain.SortedUnique(perms)
	return u
}

// ByID returns the user with id.
func (s *Users) ByID(_ context.Context, id string) (domain.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok {
		return domain.User{}, domain.ErrNotFound
	}
	return s.view(r), nil
}

// Lock returns the user; the fake stores change one call at a time.
func (s *Users) Lock(ctx context.Context, id string) (domain.User, error) { return s.ByID(ctx, id) }

// ByEmailKey returns the user whose email key is key.
func (s *Users) ByEmailKey(_ context.Context, key string) (domain.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rows {
		if r.key == key {
			return s.view(r), nil
		}
	}
	return domain.User{}, domain.ErrNotFound
}

func (s *Users) update(id string, now time.Time, fn func(*domain.User)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok {
		return domain.ErrNotFound
	}
	fn(&r.user)
	r.user.UpdatedAt = now
	return nil
}

// UpdateName sets the name.
func (s *Users) UpdateName(_ context.Context, id, name string, now time.Time) error {
	return s.update(id, now, func(u *domain.User) { u.Name = name })
}

// UpdatePasswordHash sets the hash.
func (s *Users) UpdatePasswordHash(_ context.Context, id, hash string, now time.Time) error {
	return s.update(id, now, func(u *domain.User) { u.PasswordHash = hash })
}

// Sessions is an in-memory SessionStore.
type Sessions struct {
	mu       sync.Mutex
	sessions map[string]*domain.Session
	tokens   []*domain.RefreshToken
}

// NewSessions returns an empty store.
func NewSessions() *Sessions {
	return &Sessions{sessions: map[string]*domain.Session{}}
}

// Create inserts s and its first token.
func (s *Sessions) Create(_ context.Context, sess domain.Session, first domain.RefreshToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sess.ID] = &sess
	s.tokens = append(s.tokens, &first)
	return nil
}

// ByID returns a session.
func (s *Sessions) ByID(_ context.Context, id string) (domain.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return domain.Session{}, domain.ErrNotFound
	}
	return *sess, nil
}

// Lock returns the session; the fake stores change one call at a time.
func (s *Sessions) Lock(ctx context.Context, id string) (domain.Session, error) {
	return s.ByID(ctx, id)
}

// ListByUser returns the active sessions of a user, newest first.
func (s *Sessions) ListByUser(_ context.Context, userID string, now time.Time) ([]domain.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Session
	for _, sess := range s.sessions {
		if sess.UserID == userID && sess.Active(now) {
			out = append(out, *sess)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func (s *Sessions) token(hash []byte) (*domain.RefreshToken, bool) {
	for _, t := range s.tokens {
		if bytes.Equal(t.Hash, hash) {
			return t, true
		}
	}
	return nil, false
}

// LockToken returns a token and its session; the fake Transactor already
// serialises callers.
func (s *Sessions) LockToken(_ context.Context, hash []byte) (domain.RefreshToken, domain.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.token(hash)
	if !ok {
		return domain.RefreshToken{}, domain.Session{}, domain.ErrNotFound
	}
	return *t, *s.sessions[t.SessionID], nil
}

// Token returns a token.
func (s *Sessions) Token(_ context.Context, hash []byte) (domain.RefreshToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.token(hash)
	if !ok {
		return domain.RefreshToken{}, domain.ErrNotFound
	}
	return *t, nil
}

// Rotate replaces a token with next.
func (s *Sessions) Rotate(
	_ context.Context,
	oldHash, box []byte,
	next domain.RefreshToken,
	now, expires time.Time,
) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.token(oldHash)
	if !ok {
		return domain.ErrNotFound
	}
	if t.RotatedAt != nil {
		return domain.ErrConflict
	}
	at := now
	t.RotatedAt = &at
	t.SuccessorBox = box
	s.tokens = append(s.tokens, &next)
	sess := s.sessions[t.SessionID]
	sess.LastUsedAt = now
	sess.ExpiresAt = expires
	return nil
}

// Touch records a use of a session.
func (s *Sessions) Touch(_ context.Context, id string, now, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return domain.ErrNotFound
	}
	sess.LastUsedAt = now
	sess.ExpiresAt = expires
	return nil
}

// Revoke ends one active session of a user.
func (s *Sessions) Revoke(_ context.Context, userID, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok || sess.UserID != userID || !sess.Active(now) {
		return domain.ErrNotFound
	}
	at := now
	sess.RevokedAt = &at
	return nil
}

// RevokeAll ends every active session of a user but keep.
func (s *Sessions) RevokeAll(_ context.Context, userID, keep string, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sess := range s.sessions {
		if sess.UserID == userID && sess.ID != keep && sess.Active(now) {
			at := now
			sess.RevokedAt = &at
			n++
		}
	}
	return n, nil
}
