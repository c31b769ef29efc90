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
