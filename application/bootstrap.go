package application

import (
	"context"
	"fmt"

	"auth-service/domain"
	"auth-service/ports"
)

// Bootstrap prepares a migrated database for service: it applies the seeds.
type Bootstrap struct {
	roles ports.RoleStore
}

// NewBootstrap returns the start-up use cases.
func NewBootstrap(roles ports.RoleStore) *Bootstrap {
	return &Bootstrap{roles: roles}
}

// Seed creates the builtin permissions and system roles when missing. It
// is idempotent and safe to run from several instances at once.
func (b *Bootstrap) Seed(ctx context.Context) error {
	if err := b.roles.Seed(ctx, domain.BuiltinPermissions(), domain.BuiltinRoles()); err != nil {
		return fmt.Errorf("seed roles: %w", err)
	}
	return nil
}
