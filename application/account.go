package application

import (
	"context"

	"auth-service/domain"
	"auth-service/ports"
)

// SessionView is one of the caller's sessions as the caller sees it.
type SessionView struct {
	domain.Session
	Current bool
}

// Account holds what a signed-in user does with the own account.
type Account struct {
	users    ports.UserStore
	sessions ports.SessionStore
	clock    ports.Clock
}

// NewAccount returns the own-account use cases.
func NewAccount(users ports.UserStore, sessions ports.SessionStore, clock ports.Clock) *Account {
	return &Account{users: users, sessions: sessions, clock: clock}
}

// Me returns the caller's account with roles and effective permissions.
func (a *Account) Me(ctx context.Context, p Principal) (domain.User, error) {
	return a.users.ByID(ctx, p.UserID)
}

// UpdateName changes the caller's display name. A bad name is a
// *domain.ValidationError.
func (a *Account) UpdateName(ctx context.Context, p Principal, name string) (domain.User, error) {
	clean, err := domain.ParseName(name)
	if err != nil {
		return domain.User{}, err
	}
	if err := a.users.UpdateName(ctx, p.UserID, clean, a.clock.Now()); err != nil {
		return domain.User{}, err
	}
	return a.users.ByID(ctx, p.UserID)
}

// Sessions lists the caller's active sessions, marking the current one.
func (a *Account) Sessions(ctx context.Context, p Principal) ([]SessionView, error) {
	list, err := a.sessions.ListByUser(ctx, p.UserID, a.clock.Now())
	if err != nil {
		return nil, err
	}
	out := make([]SessionView, len(list))
	for i, s := range list {
		out[i] = SessionView{Session: s, Current: s.ID == p.SessionID}
	}
	return out, nil
}

// RevokeSession ends one of the caller's sessions. A session that is not
// the caller's, or not active, is domain.ErrNotFound.
func (a *Account) RevokeSession(ctx context.Context, p Principal, id string) error {
	return a.sessions.Revoke(ctx, p.UserID, id, a.clock.Now())
}
