package application

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"auth-service/domain"
	"auth-service/ports"
)

// Authorize is the permission rule every guarded route applies: the
// caller's effective permissions (the union over its roles, as stored now)
// must hold perm. An empty perm needs only a valid token.
func Authorize(p Principal, perm string) error {
	if perm == "" || domain.HasPermission(p.Permissions, perm) {
		return nil
	}
	return domain.NewError(domain.ErrForbidden, "forbidden",
		"this action needs the permission %s", perm)
}

// take counts one attempt against every key, or against none: when a key
// has no room left, the attempts taken for the keys before it are given
// back and the error is a *domain.ThrottledError. Counting before the work
// (not after a failure) is what keeps racing requests inside the limit.
func take(ctx context.Context, t ports.Throttle, keys ...string) error {
	for i, k := range keys {
		wait, err := t.Take(ctx, k)
		if err == nil && wait <= 0 {
			continue
		}
		if gerr := giveBack(ctx, t, keys[:i]...); err == nil {
			err = gerr
		}
		if err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
		return &domain.ThrottledError{RetryAfter: max(wait, time.Second)}
	}
	return nil
}

// giveBack uncounts one attempt of each key.
func giveBack(ctx context.Context, t ports.Throttle, keys ...string) error {
	for _, k := range keys {
		if err := t.GiveBack(ctx, k); err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
	}
	return nil
}

// audit appends one event stamped now.
func (d Deps) audit(ctx context.Context, actor, ip, action, targetType, targetID string,
	details map[string]any) error {
	return d.Audit.Append(ctx, domain.AuditEvent{
		ActorID:    actor,
		Action:     action,
		TargetType: targetType,
		TargetID:   targetID,
		IP:         ip,
		At:         d.Clock.Now(),
		Details:    details,
	})
}

// notify mails the owner of an account. Delivery is best effort: the
// change it reports has happened, and the mail adapter logs a failure.
func (d Deps) notify(ctx context.Context, to, subject, body string) {
	_ = d.Mailer.Send(ctx, ports.MailMessage{To: to, Subject: subject, Body: body})
}

// revokeEverything ends every session of the user and every unused reset
// token, as a password change or an account removal requires. It locks the
// account first, like every opening of a session, so a login in flight
// either lands before (and is ended here) or sees the change (and fails).
// Callers run it in a transaction.
func (d Deps) revokeEverything(ctx context.Context, userID, keepSession string, now time.Time) error {
	if _, err := d.Users.Lock(ctx, userID); err != nil {
		return err
	}
	if _, err := d.Sessions.RevokeAll(ctx, userID, keepSession, now); err != nil {
		return err
	}
	return d.Resets.UseAll(ctx, userID, now)
}

// guardLastAdmin refuses a change that would leave no active
// administrator: target is the account losing its standing. The caller
// holds the admin lock in the same transaction.
func (d Deps) guardLastAdmin(ctx context.Context, target string) error {
	if err := d.Admin.LockAdmins(ctx); err != nil {
		return err
	}
	admins, err := d.Admin.ActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if len(admins) == 1 && admins[0] == target {
		return domain.NewError(domain.ErrConflict, "last_admin",
			"this is the last active administrator")
	}
	return nil
}

// findUser returns the account or a not-found error fit for a client.
func (d Deps) findUser(ctx context.Context, id string) (domain.User, error) {
	u, err := d.Users.ByID(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.User{}, domain.NewError(domain.ErrNotFound, "user_not_found", "no such user")
	}
	return u, err
}

// resetLink builds the link mailed for a reset token.
func resetLink(base, token string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base + "?token=" + url.QueryEscape(token)
	}
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// nfcHasher hashes and verifies the NFC form of every password, whatever
// route it came through.
type nfcHasher struct{ ports.PasswordHasher }

func (h nfcHasher) Hash(ctx context.Context, pw string) (string, error) {
	return h.PasswordHasher.Hash(ctx, domain.NormalizePassword(pw))
}

func (h nfcHasher) Verify(ctx context.Context, pw, encoded string) (bool, error) {
	return h.PasswordHasher.Verify(ctx, domain.NormalizePassword(pw), encoded)
}

// normalized returns d with its hasher normalising passwords.
func (d Deps) normalized() Deps {
	if _, done := d.Hasher.(nfcHasher); !done && d.Hasher != nil {
		d.Hasher = nfcHasher{d.Hasher}
	}
	return d
}
