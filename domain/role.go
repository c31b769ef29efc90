package domain

import (
	"regexp"
	"sort"
)

// The system roles: they always exist and can be neither deleted nor
// emptied. New accounts get RoleUser.
const (
	RoleAdmin = "admin"
	RoleUser  = "user"
)

// The permissions the service itself checks, seeded on every start.
const (
	PermUsersRead   = "users:read"
	PermUsersWrite  = "users:write"
	PermUsersDelete = "users:delete"
	PermRolesRead   = "roles:read"
	PermRolesManage = "roles:manage"
	PermRolesAssign = "roles:assign"
	PermBackupsRead = "backups:read"
	PermBackupsRun  = "backups:run"
	PermAuditRead   = "audit:read"
)

// Permission is a named right, spelled resource:action in lower case.
type Permission struct {
	Name        string
	Description string
}

// Role is a named set of permissions.
type Role struct {
	Name        string
	Description string
	Permissions []string
	System      bool
}

// BuiltinPermissions returns the permissions the service seeds, with their
// descriptions, in a stable order.
func BuiltinPermissions() []Permission {
	return []Permission{
		{PermUsersRead, "List and read user accounts"},
		{PermUsersWrite, "Create, update and restore user accounts"},
		{PermUsersDelete, "Delete and purge user accounts"},
		{PermRolesRead, "List roles and permissions"},
		{PermRolesManage, "Create, change and delete roles and permissions"},
		{PermRolesAssign, "Assign roles to users"},
		{PermBackupsRead, "List database backups"},
		{PermBackupsRun, "Start a database backup"},
		{PermAuditRead, "Read the audit trail"},
	}
}

// BuiltinRoles returns the system roles: admin with every builtin
// permission and user with none.
func BuiltinRoles() []Role {
	perms := BuiltinPermissions()
	names := make([]string, len(perms))
	for i, p := range perms {
		names[i] = p.Name
	}
	return []Role{
		{Name: RoleAdmin, Description: "Administers the service", Permissions: names, System: true},
		{Name: RoleUser, Description: "Every registered account", Permissions: []string{}, System: true},
	}
}

var (
	permissionName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}:[a-z][a-z0-9_-]{0,62}$`)
	roleName       = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
)

// ValidPermissionName reports whether name is resource:action in lower case.
func ValidPermissionName(name string) bool { return permissionName.MatchString(name) }

// ValidRoleName reports whether name is a lower-case identifier.
func ValidRoleName(name string) bool { return roleName.MatchString(name) }

// SortedUnique returns the distinct strings of in, sorted.
func SortedUnique(in []string) []string {
	seen := make(map[string]struct{}, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		if _, ok := seen[s]; ok {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
