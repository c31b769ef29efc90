package domain

import "time"

// Audit actions. Each sensitive change writes one event with its action.
const (
	AuditLoginSuccess     = "auth.login.success"
	AuditLoginFailure     = "auth.login.failure"
	AuditPasswordChange   = "auth.password.change"
	AuditPasswordReset    = "auth.password.reset"
	AuditResetRequested   = "auth.password.reset_requested"
	AuditAccountDeleted   = "user.delete"
	AuditAccountRestored  = "user.restore"
	AuditAccountPurged    = "user.purge"
	AuditUserCreated      = "user.create"
	AuditUserUpdated      = "user.update"
	AuditUserRolesSet     = "user.roles.set"
	AuditRoleCreated      = "role.create"
	AuditRoleUpdated      = "role.update"
	AuditRolePermsSet     = "role.permissions.set"
	AuditRoleDeleted      = "role.delete"
	AuditPermissionCreate = "permission.create"
	AuditBackupRun        = "backup.run"
	AuditBackupRestore    = "backup.restore"
)

// AuditEvent records who did what to what, from where and when. Details
// never hold a secret or personal data beyond ids, so an event outlives
// the account it names.
type AuditEvent struct {
	ID         int64
	ActorID    string
	Action     string
	TargetType string
	TargetID   string
	IP         string
	At         time.Time
	Details    map[string]any
}

// ResetToken is the stored side of a password reset token: only its
// SHA-256 is kept.
type ResetToken struct {
	Hash      []byte
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// Usable reports whether the token can still reset a password at now.
func (t ResetToken) Usable(now time.Time) bool {
	return t.UsedAt == nil && now.Before(t.ExpiresAt)
}

// HasPermission reports whether perms holds p.
func HasPermission(perms []string, p string) bool {
	for _, have := range perms {
		if have == p {
			return true
		}
	}
	return false
}

// Missing returns the names of want that have does not hold.
func Missing(have, want []string) []string {
	var out []string
	for _, w := range want {
		if !HasPermission(have, w) {
			out = append(out, w)
		}
	}
	return out
}
