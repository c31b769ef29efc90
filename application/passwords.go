package application

import (
	"context"
	"errors"
	"fmt"

	"auth-service/domain"
)

var errBadReset = domain.NewError(domain.ErrUnauthenticated, "invalid_reset_token",
	"the reset token is unknown, used or expired")

// ForgotPassword starts a reset for email: when an account that may log
// in has that address, a single-use token is stored (killing older ones)
// and a link mailed to the owner. It reveals nothing: the outcome is the
// same for unknown, disabled and deleted accounts, and callers answer
// before it finishes. Too many requests for one address or client are
// *domain.ThrottledError, checked by CheckForgot before it runs.
func (a *Auth) ForgotPassword(ctx context.Context, email string, client Client) error {
	em, err := domain.ParseEmail(email)
	if err != nil {
		return nil
	}
	u, err := a.Users.ByEmailKey(ctx, em.Key)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && !u.CanAuthenticate()) {
		return nil
	}
	if err != nil {
		return err
	}
	token, err := a.Random.Token()
	if err != nil {
		return fmt.Errorf("make reset token: %w", err)
	}
	now := a.Clock.Now()
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		err := a.Resets.Replace(ctx, domain.ResetToken{
			Hash:      domain.HashRefreshToken(token),
			UserID:    u.ID,
			CreatedAt: now,
			ExpiresAt: now.Add(a.cfg.ResetTTL),
		})
		if err != nil {
			return err
		}
		return a.audit(ctx, "", client.IP, domain.AuditResetRequested, "user", u.ID, nil)
	})
	if err != nil {
		return err
	}
	a.notify(ctx, u.Email, "Reset your password",
		"Someone asked to reset the password of your account. To choose a new one, open:\n\n"+
			resetLink(a.cfg.ResetURL, token)+"\n\n"+
			fmt.Sprintf("The link works once, for %s. If you did not ask for it, ignore this mail.\n",
				a.cfg.ResetTTL))
	return nil
}

// CheckForgot counts one forgot request for email and client and returns
// *domain.ThrottledError when either has asked too often.
func (a *Auth) CheckForgot(ctx context.Context, email string, client Client) error {
	keys := []string{"forgot:acct:" + domain.EmailKey(email), "forgot:ip:" + client.IP}
	return take(ctx, a.Throttles.Sensitive, keys...)
}

// ResetPassword sets a new password with a reset token. An unknown, used
// or expired token is domain.ErrUnauthenticated; a weak password is a
// *domain.ValidationError and leaves the token usable. Success uses the
// token, ends every session and every other reset token, and mails the
// owner.
func (a *Auth) ResetPassword(ctx context.Context, token, password string, client Client) error {
	if err := take(ctx, a.Throttles.Sensitive, "reset:ip:"+client.IP); err != nil {
		return err
	}
	if token == "" {
		return domain.Invalid("token", "is required")
	}
	hash := domain.HashRefreshToken(token)
	var owner domain.User
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		t, err := a.Resets.Lock(ctx, hash)
		if errors.Is(err, domain.ErrNotFound) {
			return errBadReset
		}
		if err != nil {
			return err
		}
		now := a.Clock.Now()
		if !t.Usable(now) {
			return errBadReset
		}
		u, err := a.Users.ByID(ctx, t.UserID)
		if errors.Is(err, domain.ErrNotFound) {
			return errBadReset
		}
		if err != nil {
			return err
		}
		if !u.CanAuthenticate() {
			return errBadReset
		}
		if err := a.policy.Check("new_password", password, u.Email); err != nil {
			return err
		}
		newHash, err := a.Hasher.Hash(ctx, password)
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		if err := a.Users.UpdatePasswordHash(ctx, u.ID, newHash, now); err != nil {
			return err
		}
		if err := a.revokeEverything(ctx, u.ID, "", now); err != nil {
			return err
		}
		owner = u
		return a.audit(ctx, "", client.IP, domain.AuditPasswordReset, "user", u.ID, nil)
	})
	if err != nil {
		return err
	}
	a.notify(ctx, owner.Email, "Your password was reset",
		"The password of your account was reset with a link sent to this address. "+
			"Every session was signed out.\n\nIf you did not do this, contact an administrator.\n")
	return nil
}

// Restore brings back the caller's own deleted account with its email and
// password, within the restore window, and starts a session. Refusals look
// like a failed login (domain.ErrInvalidCredentials) and count against the
// same throttle; a correct password after the window is domain.ErrGone. An
// account that is not deleted just logs in.
func (a *Auth) Restore(ctx context.Context, email, password string, client Client) (TokenPair, error) {
	if email == "" || password == "" {
		return TokenPair{}, requiredCredentials(email, password)
	}
	keys := loginKeys(email, client)
	if err := take(ctx, a.Throttles.Login, keys...); err != nil {
		return TokenPair{}, err
	}
	if err := take(ctx, a.Throttles.Sensitive, "restore:ip:"+client.IP); err != nil {
		if gerr := giveBack(ctx, a.Throttles.Login, keys...); gerr != nil {
			return TokenPair{}, gerr
		}
		return TokenPair{}, err
	}
	u, ok, err := a.verifyPassword(ctx, email, password)
	if err != nil {
		return TokenPair{}, err
	}
	if !ok || u.Status != domain.StatusActive {
		// The attempts taken stay counted: this was a failure.
		err := a.audit(ctx, "", client.IP, domain.AuditLoginFailure, "user", u.ID,
			map[string]any{"route": "restore"})
		if err != nil {
			return TokenPair{}, err
		}
		return TokenPair{}, errBadCredentials
	}
	if u.DeletedAt != nil {
		err := restore(ctx, a.Deps, a.cfg, u, u.ID, client.IP)
		if errors.Is(err, domain.ErrNotFound) {
			return TokenPair{}, errBadCredentials // purged meanwhile: as for no account
		}
		if err != nil && !errors.Is(err, errNotDeleted) { // restored meanwhile: go on
			return TokenPair{}, err
		}
	}
	if err := a.loginSucceeded(ctx, keys); err != nil {
		return TokenPair{}, err
	}
	return a.openSession(ctx, u, password, client, map[string]any{"route": "restore"})
}
