package application

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"auth-service/domain"
	"auth-service/ports"
)

// Limits on what one request may name.
const (
	maxDescription = 500
	maxListItems   = 100
)

func checkDescription(v *domain.ValidationError, d string) string {
	d = strings.TrimSpace(d)
	ok := utf8.ValidString(d) && utf8.RuneCountInString(d) <= maxDescription
	for _, r := range d {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			ok = false
		}
	}
	if !ok {
		v.Add("description", "must be text of at most 500 characters without control characters")
	}
	return d
}

// checkPermissionNames refuses a list that is too long or names something
// that cannot be a permission.
func checkPermissionNames(perms []string) error {
	if len(perms) > maxListItems {
		return domain.Invalid("permissions", "must name at most 100 permissions")
	}
	for _, p := range perms {
		if !domain.ValidPermissionName(p) {
			return domain.NewError(domain.ErrNotFound, "unknown_permission",
				"the permission %q does not exist", p)
		}
	}
	return nil
}

// ListRoles returns every role with its permissions.
func (a *Admin) ListRoles(ctx context.Context) ([]domain.Role, error) {
	return a.Roles.Roles(ctx)
}

var errNoRole = domain.NewError(domain.ErrNotFound, "role_not_found", "no such role")

// GetRole returns one role, or domain.ErrNotFound.
func (a *Admin) GetRole(ctx context.Context, name string) (domain.Role, error) {
	if !domain.ValidRoleName(name) {
		return domain.Role{}, errNoRole
	}
	r, err := a.Roles.Role(ctx, name)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Role{}, errNoRole
	}
	return r, err
}

// knownPermissions returns domain.ErrNotFound naming the first of perms
// that does not exist.
func (a *Admin) knownPermissions(ctx context.Context, perms []string) error {
	all, err := a.Roles.Permissions(ctx)
	if err != nil {
		return err
	}
	have := make([]string, len(all))
	for i, p := range all {
		have[i] = p.Name
	}
	if missing := domain.Missing(have, perms); len(missing) > 0 {
		return domain.NewError(domain.ErrNotFound, "unknown_permission",
			"the permission %s does not exist", missing[0])
	}
	return nil
}

// mayGrantPermissions refuses permissions the caller does not hold.
func mayGrantPermissions(p Principal, perms []string) error {
	if missing := domain.Missing(p.Permissions, perms); len(missing) > 0 {
		return domain.NewError(domain.ErrForbidden, "escalation",
			"the caller cannot grant permissions it does not hold: %s", strings.Join(missing, ", "))
	}
	return nil
}

// CreateRole creates a role. A bad name is a *domain.ValidationError, an
// existing one domain.ErrConflict, an unknown permission
// domain.ErrNotFound, a permission the caller lacks domain.ErrForbidden.
func (a *Admin) CreateRole(ctx context.Context, p Principal, r domain.Role) (domain.Role, error) {
	v := &domain.ValidationError{}
	if !domain.ValidRoleName(r.Name) {
		v.Add("name", "must be lower-case letters, digits, _ or -, starting with a letter")
	}
	r.Description = checkDescription(v, r.Description)
	if err := v.Err(); err != nil {
		return domain.Role{}, err
	}
	if err := checkPermissionNames(r.Permissions); err != nil {
		return domain.Role{}, err
	}
	r.Permissions = domain.SortedUnique(r.Permissions)
	if err := a.knownPermissions(ctx, r.Permissions); err != nil {
		return domain.Role{}, err
	}
	if err := mayGrantPermissions(p, r.Permissions); err != nil {
		return domain.Role{}, err
	}
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Roles.CreateRole(ctx, r); err != nil {
			return err
		}
		return a.audit(ctx, p.UserID, p.IP, domain.AuditRoleCreated, "role", r.Name,
			map[string]any{"permissions": r.Permissions})
	})
	if err != nil {
		return domain.Role{}, err
	}
	return a.GetRole(ctx, r.Name)
}

// DescribeRole changes the description of a role.
func (a *Admin) DescribeRole(ctx context.Context, p Principal, name, description string) (domain.Role, error) {
	v := &domain.ValidationError{}
	description = checkDescription(v, description)
	if err := v.Err(); err != nil {
		return domain.Role{}, err
	}
	if !domain.ValidRoleName(name) {
		return domain.Role{}, errNoRole
	}
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Roles.DescribeRole(ctx, name, description); err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				return errNoRole
			}
			return err
		}
		return a.audit(ctx, p.UserID, p.IP, domain.AuditRoleUpdated, "role", name, nil)
	})
	if err != nil {
		return domain.Role{}, err
	}
	return a.GetRole(ctx, name)
}

var errSystemRole = domain.NewError(domain.ErrConflict, "system_role",
	"system roles keep their permissions and cannot be deleted")

// SetRolePermissions replaces the permissions of a role. System roles are
// domain.ErrConflict; adding a permission the caller lacks is
// domain.ErrForbidden; an unknown role or permission is
// domain.ErrNotFound. Holders feel the change on their next request.
func (a *Admin) SetRolePermissions(ctx context.Context, p Principal, name string, perms []string) (domain.Role, error) {
	if err := checkPermissionNames(perms); err != nil {
		return domain.Role{}, err
	}
	perms = domain.SortedUnique(perms)
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		r, err := a.GetRole(ctx, name)
		if err != nil {
			return err
		}
		if r.System {
			return errSystemRole
		}
		if err := a.knownPermissions(ctx, perms); err != nil {
			return err
		}
		var added []string
		for _, perm := range perms {
			if !domain.HasPermission(r.Permissions, perm) {
				added = append(added, perm)
			}
		}
		if err := mayGrantPermissions(p, added); err != nil {
			return err
		}
		if err := a.Roles.SetRolePermissions(ctx, name, perms); err != nil {
			return err
		}
		return a.audit(ctx, p.UserID, p.IP, domain.AuditRolePermsSet, "role", name,
			map[string]any{"permissions": perms})
	})
	if err != nil {
		return domain.Role{}, err
	}
	return a.GetRole(ctx, name)
}

// DeleteRole removes a role. System roles and roles still assigned are
// domain.ErrConflict.
func (a *Admin) DeleteRole(ctx context.Context, p Principal, name string) error {
	return a.Tx.InTx(ctx, func(ctx context.Context) error {
		r, err := a.GetRole(ctx, name)
		if err != nil {
			return err
		}
		if r.System {
			return errSystemRole
		}
		if err := a.Roles.DeleteRole(ctx, name); err != nil {
			return err
		}
		return a.audit(ctx, p.UserID, p.IP, domain.AuditRoleDeleted, "role", name, nil)
	})
}

// ListPermissions returns every permission.
func (a *Admin) ListPermissions(ctx context.Context) ([]domain.Permission, error) {
	return a.Roles.Permissions(ctx)
}

// CreatePermission adds a permission named resource:action in lower case.
func (a *Admin) CreatePermission(ctx context.Context, p Principal, perm domain.Permission) (domain.Permission, error) {
	v := &domain.ValidationError{}
	if !domain.ValidPermissionName(perm.Name) {
		v.Add("name", "must be resource:action in lower case, such as reports:read")
	}
	perm.Description = checkDescription(v, perm.Description)
	if err := v.Err(); err != nil {
		return domain.Permission{}, err
	}
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Roles.CreatePermission(ctx, perm); err != nil {
			return err
		}
		// The admin role holds every permission, so that administrators
		// can grant the new one without granting what they lack. A grant,
		// not a read and replace: permissions created at once all land.
		if err := a.Roles.GrantPermissions(ctx, domain.RoleAdmin, []string{perm.Name}); err != nil {
			return err
		}
		return a.audit(ctx, p.UserID, p.IP, domain.AuditPermissionCreate, "permission", perm.Name,
			map[string]any{"granted_to_role": domain.RoleAdmin})
	})
	return perm, err
}

// ListAudit returns one page of audit events, newest first.
func (a *Admin) ListAudit(ctx context.Context, f ports.AuditFilter) (Page[domain.AuditEvent], error) {
	v := &domain.ValidationError{}
	checkPaging(v, &f.Page, &f.PerPage)
	if len(f.Action) > 100 {
		v.Add("action", "must be at most 100 characters")
	}
	if err := v.Err(); err != nil {
		return Page[domain.AuditEvent]{}, err
	}
	items, total, err := a.Audit.List(ctx, f)
	if err != nil {
		return Page[domain.AuditEvent]{}, err
	}
	return Page[domain.AuditEvent]{Items: items, Page: f.Page, PerPage: f.PerPage, Total: total}, nil
}
