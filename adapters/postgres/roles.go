package postgres

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"auth-service/domain"
	"auth-service/ports"
)

// Roles is the PostgreSQL RoleStore.
type Roles struct{ db *DB }

var _ ports.RoleStore = (*Roles)(nil)

// NewRoles returns the role store.
func NewRoles(db *DB) *Roles { return &Roles{db: db} }

// Seed creates missing permissions and roles, marks the given roles as
// system roles and grants them their listed permissions, in one
// transaction. Running it again changes nothing.
func (s *Roles) Seed(ctx context.Context, perms []domain.Permission, roles []domain.Role) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.q(ctx)
		for _, p := range perms {
			_, err := q.ExecContext(ctx, `
				INSERT INTO permissions (name, description) VALUES ($1, $2)
				ON CONFLICT (name) DO NOTHING`, p.Name, p.Description)
			if err != nil {
				return fmt.Errorf("seed permission %s: %w", p.Name, err)
			}
		}
		for _, r := range roles {
			_, err := q.ExecContext(ctx, `
				INSERT INTO roles (name, description, system) VALUES ($1, $2, $3)
				ON CONFLICT (name) DO UPDATE SET system = roles.system OR EXCLUDED.system`,
				r.Name, r.Description, r.System)
			if err != nil {
				return fmt.Errorf("seed role %s: %w", r.Name, err)
			}
			_, err = q.ExecContext(ctx, `
				INSERT INTO role_permissions (role_name, permission_name)
				SELECT $1, unnest($2::text[])
				ON CONFLICT DO NOTHING`, r.Name, pq.Array(r.Permissions))
			if err != nil {
				return fmt.Errorf("seed permissions of role %s: %w", r.Name, err)
			}
		}
		return nil
	})
}

var _ ports.RoleAdmin = (*Roles)(nil)

type roleRow struct {
	Name        string         `db:"name"`
	Description string         `db:"description"`
	System      bool           `db:"system"`
	Permissions pq.StringArray `db:"permissions"`
}

const selectRole = `
	SELECT r.name, r.description, r.system,
	       ARRAY(SELECT rp.permission_name FROM role_permissions rp
	             WHERE rp.role_name = r.name ORDER BY 1) AS permissions
	FROM roles r`

func (r roleRow) role() domain.Role {
	return domain.Role{Name: r.Name, Description: r.Description, System: r.System,
		Permissions: []string(r.Permissions)}
}

// Roles returns every role with its permissions, by name.
func (s *Roles) Roles(ctx context.Context) ([]domain.Role, error) {
	var rows []roleRow
	if err := sqlxSelect(ctx, s.db, &rows, selectRole+" ORDER BY r.name"); err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	out := make([]domain.Role, len(rows))
	for i, r := range rows {
		out[i] = r.role()
	}
	return out, nil
}

// Role returns one role, or domain.ErrNotFound.
func (s *Roles) Role(ctx context.Context, name string) (domain.Role, error) {
	var row roleRow
	if err := sqlxGet(ctx, s.db, &row, selectRole+" WHERE r.name = $1", name); err != nil {
		return domain.Role{}, notFound(err, domain.ErrNotFound)
	}
	return row.role(), nil
}

var errUnknownPermission = domain.NewError(domain.ErrNotFound, "unknown_permission",
	"a named permission does not exist")

// grant adds perms to a role, refusing unknown permissions.
func (s *Roles) grant(ctx context.Context, role string, perms []string) error {
	var known int
	err := sqlxGet(ctx, s.db, &known, `SELECT count(*) FROM permissions WHERE name = ANY($1)`,
		pq.Array(perms))
	if err != nil {
		return fmt.Errorf("check permissions: %w", err)
	}
	if known != len(domain.SortedUnique(perms)) {
		return errUnknownPermission
	}
	_, err = s.db.q(ctx).ExecContext(ctx, `
		INSERT INTO role_permissions (role_name, permission_name)
		SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, role, pq.Array(perms))
	if isForeignKeyViolation(err) {
		return errUnknownPermission
	}
	if err != nil {
		return fmt.Errorf("grant permissions: %w", err)
	}
	return nil
}

// CreateRole inserts a role with its permissions.
func (s *Roles) CreateRole(ctx context.Context, r domain.Role) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.q(ctx).ExecContext(ctx,
			`INSERT INTO roles (name, description, system) VALUES ($1, $2, false)`,
			r.Name, r.Description)
		if isUniqueViolation(err) {
			return domain.NewError(domain.ErrConflict, "role_exists", "a role with this name exists")
		}
		if err != nil {
			return fmt.Errorf("insert role: %w", err)
		}
		return s.grant(ctx, r.Name, r.Permissions)
	})
}

// DescribeRole sets the description of a role.
func (s *Roles) DescribeRole(ctx context.Context, name, description string) error {
	res, err := s.db.q(ctx).ExecContext(ctx,
		`UPDATE roles SET description = $2 WHERE name = $1`, name, description)
	if err != nil {
		return fmt.Errorf("describe role: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// SetRolePermissions replaces the permissions of a role.
func (s *Roles) SetRolePermissions(ctx context.Context, name string, perms []string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Role(ctx, name); err != nil {
			return err
		}
		_, err := s.db.q(ctx).ExecContext(ctx, `DELETE FROM role_permissions WHERE role_name = $1`, name)
		if err != nil {
			return fmt.Errorf("clear permissions: %w", err)
		}
		return s.grant(ctx, name, perms)
	})
}

// GrantPermissions adds permissions to a role without touching the others.
func (s *Roles) GrantPermissions(ctx context.Context, name string, perms []string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Role(ctx, name); err != nil {
			return err
		}
		return s.grant(ctx, name, perms)
	})
}

// DeleteRole removes a role that nobody holds.
func (s *Roles) DeleteRole(ctx context.Context, name string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		var holders int
		err := sqlxGet(ctx, s.db, &holders,
			`SELECT count(*) FROM user_roles WHERE role_name = $1`, name)
		if err != nil {
			return fmt.Errorf("count holders: %w", err)
		}
		if holders > 0 {
			return domain.NewError(domain.ErrConflict, "role_assigned",
				"the role is still assigned to users")
		}
		res, err := s.db.q(ctx).ExecContext(ctx, `DELETE FROM roles WHERE name = $1`, name)
		if isForeignKeyViolation(err) {
			// Assigned by another request since the count above.
			return domain.NewError(domain.ErrConflict, "role_assigned",
				"the role is still assigned to users")
		}
		if err != nil {
			return fmt.Errorf("delete role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		return nil
	})
}

// Permissions returns every permission by name.
func (s *Roles) Permissions(ctx context.Context) ([]domain.Permission, error) {
	var rows []struct {
		Name        string `db:"name"`
		Description string `db:"description"`
	}
	if err := sqlxSelect(ctx, s.db, &rows, `SELECT name, description FROM permissions ORDER BY name`); err != nil {
		return nil, fmt.Errorf("list permissions: %w", err)
	}
	out := make([]domain.Permission, len(rows))
	for i, r := range rows {
		out[i] = domain.Permission{Name: r.Name, Description: r.Description}
	}
	return out, nil
}

// CreatePermission inserts a permission.
func (s *Roles) CreatePermission(ctx context.Context, p domain.Permission) error {
	_, err := s.db.q(ctx).ExecContext(ctx,
		`INSERT INTO permissions (name, description) VALUES ($1, $2)`, p.Name, p.Description)
	if isUniqueViolation(err) {
		return domain.NewError(domain.ErrConflict, "permission_exists",
			"a permission with this name exists")
	}
	if err != nil {
		return fmt.Errorf("insert permission: %w", err)
	}
	return nil
}
