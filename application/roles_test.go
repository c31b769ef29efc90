package application_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports"
)

// roleCaller returns an administrator, or with manager a caller holding
// only roles:manage and roles:read.
func roleCaller(t *testing.T, e *env, manager bool) application.Principal {
	t.Helper()
	if !manager {
		_, p := fxAdmin(t, e, "admin@example.com")
		return p
	}
	fxRole(t, e, "manager", domain.PermRolesManage, domain.PermRolesRead)
	_, _, p := fxAccount(t, e, "manager@example.com", "manager")
	return p
}

func TestAdminCreateRole(t *testing.T) {
	tests := []struct {
		name      string
		manager   bool
		role      domain.Role
		wantErr   error
		wantField string
		wantPerms []string
	}{
		{name: "with permissions",
			role: domain.Role{Name: "support", Description: " Helps users ",
				Permissions: []string{domain.PermUsersWrite, domain.PermUsersRead, domain.PermUsersRead}},
			wantPerms: []string{domain.PermUsersRead, domain.PermUsersWrite}},
		{name: "without permissions", role: domain.Role{Name: "guest-2_b"}, wantPerms: []string{}},
		{name: "manager grants what it holds", manager: true,
			role:      domain.Role{Name: "viewer", Permissions: []string{domain.PermRolesRead}},
			wantPerms: []string{domain.PermRolesRead}},
		{name: "upper-case name", role: domain.Role{Name: "Support"},
			wantErr: domain.ErrInvalid, wantField: "name"},
		{name: "empty name", role: domain.Role{Name: ""},
			wantErr: domain.ErrInvalid, wantField: "name"},
		{name: "name starting with a digit", role: domain.Role{Name: "1st"},
			wantErr: domain.ErrInvalid, wantField: "name"},
		{name: "name with a space", role: domain.Role{Name: "help desk"},
			wantErr: domain.ErrInvalid, wantField: "name"},
		{name: "name with a colon", role: domain.Role{Name: "users:read"},
			wantErr: domain.ErrInvalid, wantField: "name"},
		{name: "system role exists", role: domain.Role{Name: domain.RoleAdmin},
			wantErr: domain.ErrConflict},
		{name: "custom role exists", role: domain.Role{Name: "existing"},
			wantErr: domain.ErrConflict},
		{name: "unknown permission",
			role:    domain.Role{Name: "reports", Permissions: []string{"reports:read"}},
			wantErr: domain.ErrNotFound},
		{name: "permission the caller lacks", manager: true,
			role:    domain.Role{Name: "deleter", Permissions: []string{domain.PermUsersDelete}},
			wantErr: domain.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fxRole(t, e, "existing")
			p := roleCaller(t, e, tt.manager)

			r, err := e.admin.CreateRole(t.Context(), p, tt.role)

			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				if tt.wantField != "" {
					assert.Equal(t, []string{tt.wantField}, fieldNames(t, err))
				}
				assert.Empty(t, fxEvents(e, domain.AuditRoleCreated))
				if tt.wantErr != domain.ErrConflict {
					_, err := e.admin.GetRole(t.Context(), tt.role.Name)
					assert.ErrorIs(t, err, domain.ErrNotFound, "no role is created")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.role.Name, r.Name)
			assert.False(t, r.System)
			assert.ElementsMatch(t, tt.wantPerms, r.Permissions)
			got, err := e.admin.GetRole(t.Context(), tt.role.Name)
			require.NoError(t, err)
			assert.Equal(t, r, got)
			events := fxEvents(e, domain.AuditRoleCreated)
			require.Len(t, events, 1)
			assert.Equal(t, p.UserID, events[0].ActorID)
			assert.Equal(t, "role", events[0].TargetType)
			assert.Equal(t, tt.role.Name, events[0].TargetID)
		})
	}
}

func TestAdminSetRolePermissions(t *testing.T) {
	tests := []struct {
		name      string
		manager   bool
		role      string
		perms     []string
		wantErr   error
		wantPerms []string
	}{
		{name: "system role admin", role: domain.RoleAdmin,
			perms: []string{domain.PermUsersRead}, wantErr: domain.ErrConflict},
		{name: "system role user", role: domain.RoleUser,
			perms: []string{domain.PermUsersRead}, wantErr: domain.ErrConflict},
		{name: "system role admin emptied", role: domain.RoleAdmin,
			perms: []string{}, wantErr: domain.ErrConflict},
		{name: "unknown role", role: "ghost", perms: []string{}, wantErr: domain.ErrNotFound},
		{name: "unknown permission", role: "support",
			perms: []string{domain.PermUsersRead, "reports:read"}, wantErr: domain.ErrNotFound},
		{name: "add a permission", role: "support",
			perms:     []string{domain.PermUsersRead, domain.PermUsersWrite, domain.PermAuditRead},
			wantPerms: []string{domain.PermAuditRead, domain.PermUsersRead, domain.PermUsersWrite}},
		{name: "remove a permission", role: "support", perms: []string{domain.PermUsersWrite},
			wantPerms: []string{domain.PermUsersWrite}},
		{name: "empty a custom role", role: "support", perms: nil, wantPerms: []string{}},
		{name: "manager removes what it lacks", manager: true, role: "support",
			perms: []string{domain.PermUsersRead}, wantPerms: []string{domain.PermUsersRead}},
		{name: "manager adds what it holds", manager: true, role: "support",
			perms:     []string{domain.PermUsersRead, domain.PermUsersWrite, domain.PermRolesRead},
			wantPerms: []string{domain.PermRolesRead, domain.PermUsersRead, domain.PermUsersWrite}},
		{name: "manager adds what it lacks", manager: true, role: "support",
			perms:   []string{domain.PermUsersRead, domain.PermUsersWrite, domain.PermUsersDelete},
			wantErr: domain.ErrForbidden},
		{name: "manager adds to its own role what it lacks", manager: true, role: "manager",
			perms:   []string{domain.PermRolesManage, domain.PermRolesRead, domain.PermRolesAssign},
			wantErr: domain.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fxRole(t, e, "support", domain.PermUsersRead, domain.PermUsersWrite)
			p := roleCaller(t, e, tt.manager)
			before, _ := e.roles.Role(t.Context(), tt.role)

			r, err := e.admin.SetRolePermissions(t.Context(), p, tt.role, tt.perms)

			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				after, _ := e.roles.Role(t.Context(), tt.role)
				assert.Equal(t, before, after, "role unchanged")
				assert.Empty(t, fxEvents(e, domain.AuditRolePermsSet))
				return
			}
			require.NoError(t, err)
			assert.ElementsMatch(t, tt.wantPerms, r.Permissions)
			events := fxEvents(e, domain.AuditRolePermsSet)
			require.Len(t, events, 1)
			assert.Equal(t, tt.role, events[0].TargetID)
			assert.Equal(t, p.UserID, events[0].ActorID)
		})
	}
}

func TestAdminSetRolePermissionsTakesEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	fxRole(t, e, "support", domain.PermUsersRead, domain.PermUsersWrite)
	_, p := fxAdmin(t, e, "admin@example.com")
	_, pair, holder := fxAccount(t, e, "ana@example.com", "support")
	require.NoError(t, application.Authorize(holder, domain.PermUsersRead))

	_, err := e.admin.SetRolePermissions(t.Context(), p, "support", []string{domain.PermUsersWrite})
	require.NoError(t, err)

	next, err := e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{domain.PermUsersWrite}, next.Permissions)
	assert.ErrorIs(t, application.Authorize(next, domain.PermUsersRead), domain.ErrForbidden)
	assert.NoError(t, application.Authorize(next, domain.PermUsersWrite))
}

func TestAdminDeleteRole(t *testing.T) {
	tests := []struct {
		name    string
		role    string
		wantErr error
	}{
		{name: "system role admin", role: domain.RoleAdmin, wantErr: domain.ErrConflict},
		{name: "system role user", role: domain.RoleUser, wantErr: domain.ErrConflict},
		{name: "still assigned", role: "support", wantErr: domain.ErrConflict},
		{name: "assigned only to a deleted account", role: "legacy", wantErr: domain.ErrConflict},
		{name: "unknown", role: "ghost", wantErr: domain.ErrNotFound},
		{name: "unused", role: "unused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fxRole(t, e, "support", domain.PermUsersRead)
			fxRole(t, e, "legacy")
			fxRole(t, e, "unused", domain.PermAuditRead)
			_, p := fxAdmin(t, e, "admin@example.com")
			fxAccount(t, e, "ana@example.com", "support")
			gone, _, _ := fxAccount(t, e, "gone@example.com", "legacy")
			require.NoError(t, e.admin.DeleteUser(t.Context(), p, gone.ID, false))

			err := e.admin.DeleteRole(t.Context(), p, tt.role)

			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Empty(t, fxEvents(e, domain.AuditRoleDeleted))
				if tt.wantErr == domain.ErrConflict {
					_, err := e.admin.GetRole(t.Context(), tt.role)
					assert.NoError(t, err, "the role is kept")
				}
				return
			}
			require.NoError(t, err)
			_, err = e.admin.GetRole(t.Context(), tt.role)
			assert.ErrorIs(t, err, domain.ErrNotFound)
			events := fxEvents(e, domain.AuditRoleDeleted)
			require.Len(t, events, 1)
			assert.Equal(t, tt.role, events[0].TargetID)
		})
	}
}

func TestAdminCreatePermission(t *testing.T) {
	tests := []struct {
		name    string
		perm    string
		wantErr error
	}{
		{name: "resource:action", perm: "reports:read"},
		{name: "digits, dash and underscore", perm: "reports_2:export-csv"},
		{name: "upper case", perm: "Users:Read", wantErr: domain.ErrInvalid},
		{name: "upper-case action", perm: "reports:Read", wantErr: domain.ErrInvalid},
		{name: "no action", perm: "users", wantErr: domain.ErrInvalid},
		{name: "three parts", perm: "users:read:x", wantErr: domain.ErrInvalid},
		{name: "empty action", perm: "users:", wantErr: domain.ErrInvalid},
		{name: "empty resource", perm: ":read", wantErr: domain.ErrInvalid},
		{name: "empty", perm: "", wantErr: domain.ErrInvalid},
		{name: "space", perm: "users: read", wantErr: domain.ErrInvalid},
		{name: "builtin duplicate", perm: domain.PermUsersRead, wantErr: domain.ErrConflict},
		{name: "custom duplicate", perm: "existing:thing", wantErr: domain.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, p := fxAdmin(t, e, "admin@example.com")
			require.NoError(t, e.roles.CreatePermission(t.Context(),
				domain.Permission{Name: "existing:thing"}))

			got, err := e.admin.CreatePermission(t.Context(), p,
				domain.Permission{Name: tt.perm, Description: " A right "})

			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				if tt.wantErr == domain.ErrInvalid {
					assert.Equal(t, []string{"name"}, fieldNames(t, err))
				}
				assert.Empty(t, fxEvents(e, domain.AuditPermissionCreate))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.perm, got.Name)
			assert.Equal(t, "A right", got.Description)
			all, err := e.admin.ListPermissions(t.Context())
			require.NoError(t, err)
			assert.Contains(t, all, domain.Permission{Name: tt.perm, Description: "A right"})
			events := fxEvents(e, domain.AuditPermissionCreate)
			require.Len(t, events, 1)
			assert.Equal(t, tt.perm, events[0].TargetID)
			assert.Equal(t, p.UserID, events[0].ActorID)
		})
	}
}

func TestAdminNewPermissionCanBeGranted(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")
	_, pair, holder := fxAccount(t, e, "ana@example.com")
	fxRole(t, e, "reporter")
	_, err := e.admin.SetUserRoles(t.Context(), p, holder.UserID, []string{"user", "reporter"})
	require.NoError(t, err)

	_, err = e.admin.CreatePermission(t.Context(), p, domain.Permission{Name: "reports:read"})
	require.NoError(t, err)
	// The administrator's next request holds the new permission, so it
	// can grant it without granting what it lacks.
	p, err = e.auth.Authenticate(t.Context(), fxToken(t, e, "admin@example.com"))
	require.NoError(t, err)
	_, err = e.admin.SetRolePermissions(t.Context(), p, "reporter", []string{"reports:read"})
	require.NoError(t, err)

	next, err := e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)
	assert.NoError(t, application.Authorize(next, "reports:read"))
}

func TestAdminListRolesAndPermissions(t *testing.T) {
	e := newEnv(t)
	fxRole(t, e, "support", domain.PermUsersRead)

	roles, err := e.admin.ListRoles(t.Context())
	require.NoError(t, err)
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{"admin", "support", "user"}, names)

	perms, err := e.admin.ListPermissions(t.Context())
	require.NoError(t, err)
	assert.Len(t, perms, len(domain.BuiltinPermissions()))
}

func TestAdminDescribeRole(t *testing.T) {
	tests := []struct {
		name        string
		role        string
		description string
		wantErr     error
		want        string
	}{
		{name: "custom role", role: "support", description: "  Helps users  ", want: "Helps users"},
		{name: "system role", role: domain.RoleUser, description: "Everyone", want: "Everyone"},
		{name: "unknown role", role: "ghost", description: "x", wantErr: domain.ErrNotFound},
		{name: "overlong", role: "support", description: strings.Repeat("d", 501),
			wantErr: domain.ErrInvalid},
		{name: "invalid UTF-8", role: "support", description: "bad\xff", wantErr: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fxRole(t, e, "support", domain.PermUsersRead)
			_, p := fxAdmin(t, e, "admin@example.com")

			r, err := e.admin.DescribeRole(t.Context(), p, tt.role, tt.description)

			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Empty(t, fxEvents(e, domain.AuditRoleUpdated))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.Description)
			got, err := e.admin.GetRole(t.Context(), tt.role)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Description)
			events := fxEvents(e, domain.AuditRoleUpdated)
			require.Len(t, events, 1)
			assert.Equal(t, tt.role, events[0].TargetID)
		})
	}
}

func TestAdminListAudit(t *testing.T) {
	tests := []struct {
		name        string
		filter      ports.AuditFilter
		wantActions []string
		wantTotal   int
		wantFields  []string
	}{
		{name: "newest first", filter: ports.AuditFilter{PerPage: 2},
			wantActions: []string{domain.AuditLoginFailure, domain.AuditLoginSuccess}, wantTotal: 3},
		{name: "second page", filter: ports.AuditFilter{Page: 2, PerPage: 2},
			wantActions: []string{domain.AuditLoginSuccess}, wantTotal: 3},
		{name: "by action", filter: ports.AuditFilter{Action: domain.AuditLoginFailure},
			wantActions: []string{domain.AuditLoginFailure}, wantTotal: 1},
		{name: "per_page 201", filter: ports.AuditFilter{PerPage: 201},
			wantFields: []string{"per_page"}},
		{name: "overlong action", filter: ports.AuditFilter{Action: strings.Repeat("a", 101)},
			wantFields: []string{"action"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fxAdmin(t, e, "admin@example.com") // one login success
			e.login(t, "admin@example.com")    // another
			_, _ = fxLogin(t, e, "admin@example.com", "wrong horse battery staple", "192.0.2.9")

			page, err := e.admin.ListAudit(t.Context(), tt.filter)

			if tt.wantFields != nil {
				assert.Equal(t, tt.wantFields, fieldNames(t, err))
				return
			}
			require.NoError(t, err)
			var got []string
			for _, ev := range page.Items {
				got = append(got, ev.Action)
			}
			assert.Equal(t, tt.wantActions, got)
			assert.Equal(t, tt.wantTotal, page.Total)
		})
	}
}
