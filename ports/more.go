package ports

import (
	"context"
	"time"

	"auth-service/domain"
)

// MailMessage is one plain-text mail to one recipient.
type MailMessage struct {
	To      string
	Subject string
	Body    string
}

// Mailer delivers mail to account owners.
type Mailer interface {
	// Send delivers msg or returns why it could not. The message body may
	// hold a secret link, so implementations never log it.
	Send(ctx context.Context, msg MailMessage) error
}

// Throttle counts attempts per key (an account, a client address) over a
// sliding window. Counts are shared by every instance that shares the
// store, and Take is atomic: however many requests race for one key, no
// more than the limit get through inside a window.
type Throttle interface {
	// Take counts one attempt against key and returns 0 when key has room
	// left inside the window; when it has none, it counts nothing and
	// returns how long until it has (always more than 0).
	Take(ctx context.Context, key string) (wait time.Duration, err error)
	// GiveBack uncounts one attempt taken for key: one that turned out
	// not to count, such as a login that succeeded.
	GiveBack(ctx context.Context, key string) error
	// Reset forgets the attempts of key, after a success.
	Reset(ctx context.Context, key string) error
}

// UserFilter selects and orders users for the admin list.
type UserFilter struct {
	Query   string // substring of email or name, matched literally
	Status  string // "", "active", "disabled" or "deleted"
	Role    string // "" or a role name
	Sort    string // one of the whitelisted sort keys, "" for newest first
	Page    int    // from 1
	PerPage int
}

// UserAdmin is what administration needs of the user store beyond
// UserStore.
type UserAdmin interface {
	// List returns one page of users matching f and the total count.
	List(ctx context.Context, f UserFilter) ([]domain.User, int, error)
	// SetStatus changes the status, or returns domain.ErrNotFound.
	SetStatus(ctx context.Context, id string, st domain.Status, now time.Time) error
	// SetDeleted marks the account deleted at when (nil restores it), or
	// returns domain.ErrNotFound.
	SetDeleted(ctx context.Context, id string, when *time.Time, now time.Time) error
	// Purge removes the account row and everything hanging off it, or
	// returns domain.ErrNotFound.
	Purge(ctx context.Context, id string) error
	// DeletedBefore returns the ids of accounts deleted before cutoff.
	DeletedBefore(ctx context.Context, cutoff time.Time, limit int) ([]string, error)
	// SetRoles replaces the roles of a user; domain.ErrNotFound when the
	// user or one of the roles does not exist.
	SetRoles(ctx context.Context, id string, roles []string) error
	// LockAdmins serialises, until the transaction ends, every change that
	// could take away the last active administrator.
	LockAdmins(ctx context.Context) error
	// ActiveAdmins returns the ids of active, undeleted holders of the
	// admin role.
	ActiveAdmins(ctx context.Context) ([]string, error)
}

// RoleAdmin manages roles and permissions.
type RoleAdmin interface {
	// Roles returns every role with its permissions, by name.
	Roles(ctx context.Context) ([]domain.Role, error)
	// Role returns one role, or domain.ErrNotFound.
	Role(ctx context.Context, name string) (domain.Role, error)
	// CreateRole inserts a role; domain.ErrConflict when the name exists,
	// domain.ErrNotFound when a permission does not.
	CreateRole(ctx context.Context, r domain.Role) error
	// DescribeRole sets the description, or returns domain.ErrNotFound.
	DescribeRole(ctx context.Context, name, description string) error
	// SetRolePermissions replaces the permissions of a role;
	// domain.ErrNotFound when the role or a permission does not exist.
	SetRolePermissions(ctx context.Context, name string, perms []string) error
	// GrantPermissions adds permissions to a role and keeps those it holds,
	// in one step, so concurrent grants all land; domain.ErrNotFound when
	// the role or a permission does not exist.
	GrantPermissions(ctx context.Context, name string, perms []string) error
	// DeleteRole removes a role; domain.ErrNotFound when it does not exist,
	// domain.ErrConflict when a user still holds it.
	DeleteRole(ctx context.Context, name string) error
	// Permissions returns every permission by name.
	Permissions(ctx context.Context) ([]domain.Permission, error)
	// CreatePermission inserts a permission; domain.ErrConflict when the
	// name exists.
	CreatePermission(ctx context.Context, p domain.Permission) error
}

// ResetStore keeps password reset tokens.
type ResetStore interface {
	// Replace stores t and kills every other unused token of its user.
	Replace(ctx context.Context, t domain.ResetToken) error
	// Lock returns the token with this hash, locked until the transaction
	// ends, or domain.ErrNotFound.
	Lock(ctx context.Context, hash []byte) (domain.ResetToken, error)
	// UseAll marks every unused token of the user used at now.
	UseAll(ctx context.Context, userID string, now time.Time) error
}

// AuditFilter selects audit events.
type AuditFilter struct {
	ActorID string
	Action  string
	Page    int
	PerPage int
}

// AuditLog is the append-only trail of sensitive actions.
type AuditLog interface {
	// Append records e; inside a transaction it commits with the change.
	Append(ctx context.Context, e domain.AuditEvent) error
	// List returns one page of events, newest first, and the total.
	List(ctx context.Context, f AuditFilter) ([]domain.AuditEvent, int, error)
}
