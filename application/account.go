package application

import (
	"context"
	"errors"
	"fmt"
	"time"

	"auth-service/domain"
)

// SessionView is one of the caller's sessions as the caller sees it.
type SessionView struct {
	domain.Session
	Current bool
}

// Account holds what a signed-in user does with the own account.
type Account struct {
	Deps
	cfg    Config
	policy domain.PasswordPolicy
}

// NewAccount returns the own-account use cases.
func NewAccount(cfg Config, d Deps) *Account {
	d = d.normalized()
	return &Account{Deps: d, cfg: cfg, policy: domain.PasswordPolicy{MinLength: cfg.PasswordMinLength}}
}

// Me returns the caller's account with roles and effective permissions.
func (a *Account) Me(ctx context.Context, p Principal) (domain.User, error) {
	return a.Users.ByID(ctx, p.UserID)
}

// UpdateName changes the caller's display name. A bad name is a
// *domain.ValidationError.
func (a *Account) UpdateName(ctx context.Context, p Principal, name string) (domain.User, error) {
	clean, err := domain.ParseName(name)
	if err != nil {
		return domain.User{}, err
	}
	if err := a.Users.UpdateName(ctx, p.UserID, clean, a.Clock.Now()); err != nil {
		return domain.User{}, err
	}
	return a.Users.ByID(ctx, p.UserID)
}

// Sessions lists the caller's active sessions, marking the current one.
func (a *Account) Sessions(ctx context.Context, p Principal) ([]SessionView, error) {
	list, err := a.Deps.Sessions.ListByUser(ctx, p.UserID, a.Clock.Now())
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
	return a.Deps.Sessions.Revoke(ctx, p.UserID, id, a.Clock.Now())
}

var errWrongPassword = domain.NewError(domain.ErrInvalidCredentials, "invalid_credentials",
	"the current password is incorrect")

// verifyOwn checks the caller's password, counting failures against the
// account like failed logins. A wrong password is
// domain.ErrInvalidCredentials; too many are *domain.ThrottledError.
func (a *Account) verifyOwn(ctx context.Context, p Principal, u domain.User, password string) error {
	key := "login:acct:" + domain.EmailKey(u.Email)
	if err := take(ctx, a.Throttles.Login, key); err != nil {
		return err
	}
	ok, err := a.Hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		// The attempt taken stays counted: this was a failure.
		err := a.audit(ctx, u.ID, p.IP, domain.AuditLoginFailure, "user", u.ID,
			map[string]any{"route": "password check"})
		if err != nil {
			return err
		}
		return errWrongPassword
	}
	return giveBack(ctx, a.Throttles.Login, key)
}

// ChangePassword replaces the caller's password after checking the
// current one, ends every other session and every reset token, and mails
// the owner.
func (a *Account) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	u, err := a.Users.ByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	if err := a.verifyOwn(ctx, p, u, current); err != nil {
		return err
	}
	if err := a.policy.Check("new_password", next, u.Email); err != nil {
		return err
	}
	hash, err := a.Hasher.Hash(ctx, next)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		now := a.Clock.Now()
		if err := a.stillSignedIn(ctx, p, now); err != nil {
			return err
		}
		if err := a.Users.UpdatePasswordHash(ctx, u.ID, hash, now); err != nil {
			return err
		}
		if err := a.revokeEverything(ctx, u.ID, p.SessionID, now); err != nil {
			return err
		}
		return a.audit(ctx, u.ID, p.IP, domain.AuditPasswordChange, "user", u.ID, nil)
	})
	if err != nil {
		return err
	}
	a.notify(ctx, u.Email, "Your password was changed",
		"The password of your account was changed. Every other session was signed out.\n\n"+
			"If you did not do this, reset your password at once and contact an administrator.\n")
	return nil
}

// stillSignedIn locks the caller's account, then its session, and fails
// with domain.ErrUnauthenticated when the session ended while the request
// was being served (a logout of the other sessions, say): a session
// revoked a moment ago must not change the password. Run in a transaction.
func (a *Account) stillSignedIn(ctx context.Context, p Principal, now time.Time) error {
	if _, err := a.Users.Lock(ctx, p.UserID); err != nil {
		return err
	}
	s, err := a.Deps.Sessions.Lock(ctx, p.SessionID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && !s.Active(now)) {
		return domain.ErrUnauthenticated
	}
	return err
}

// DeleteSelf soft-deletes the caller's account after checking its
// password: every session ends, the email stays reserved, and the owner can
// restore it within the restore window. The last active administrator
// cannot delete itself.
func (a *Account) DeleteSelf(ctx context.Context, p Principal, password string) error {
	u, err := a.Users.ByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	if err := a.verifyOwn(ctx, p, u, password); err != nil {
		return err
	}
	return softDelete(ctx, a.Deps, a.cfg, u, p.UserID, p.IP)
}

// errAlreadyDeleted stops a deletion that another request made first.
var errAlreadyDeleted = errors.New("already deleted")

// softDelete marks u deleted, ends its sessions and reset tokens, records
// it and mails the owner; actor is who asked.
func softDelete(ctx context.Context, d Deps, cfg Config, u domain.User, actor, ip string) error {
	err := d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := d.guardLastAdmin(ctx, u.ID); err != nil {
			return err
		}
		// Looked at again under lock: a deletion that landed meanwhile is
		// not made twice (nor its restore window restarted).
		if cur, err := d.Users.Lock(ctx, u.ID); err != nil {
			return err
		} else if cur.DeletedAt != nil {
			return errAlreadyDeleted
		}
		now := d.Clock.Now()
		if err := d.Admin.SetDeleted(ctx, u.ID, &now, now); err != nil {
			return err
		}
		if err := d.revokeEverything(ctx, u.ID, "", now); err != nil {
			return err
		}
		return d.audit(ctx, actor, ip, domain.AuditAccountDeleted, "user", u.ID, nil)
	})
	if errors.Is(err, errAlreadyDeleted) {
		return nil
	}
	if err != nil {
		return err
	}
	d.notify(ctx, u.Email, "Your account was deleted",
		fmt.Sprintf("Your account was deleted. You can restore it within %s by signing in "+
			"through the restore route; after that it is removed for good.\n",
			cfg.RestoreWindow))
	return nil
}
