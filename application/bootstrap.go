package application

import (
	"context"
	"errors"
	"fmt"

	"auth-service/domain"
	"auth-service/ports"
)

// Bootstrap prepares a migrated database for service: it applies the seeds.
type Bootstrap struct {
	roles ports.RoleStore
	deps  Deps
	cfg   Config
}

// NewBootstrap returns the start-up use cases.
func NewBootstrap(roles ports.RoleStore, cfg Config, d Deps) *Bootstrap {
	return &Bootstrap{roles: roles, deps: d.normalized(), cfg: cfg}
}

// Seed creates the builtin permissions and system roles when missing. It
// is idempotent and safe to run from several instances at once.
func (b *Bootstrap) Seed(ctx context.Context) error {
	if err := b.roles.Seed(ctx, domain.BuiltinPermissions(), domain.BuiltinRoles()); err != nil {
		return fmt.Errorf("seed roles: %w", err)
	}
	return nil
}

// SeedAdmin creates the first administrator with email and password when
// no account has that email; an existing account is left as it is. The
// password must pass the password policy.
func (b *Bootstrap) SeedAdmin(ctx context.Context, email, password string) (created bool, err error) {
	em, err := domain.ParseEmail(email)
	if err != nil {
		return false, fmt.Errorf("ADMIN_EMAIL: %w", err)
	}
	_, err = b.deps.Users.ByEmailKey(ctx, em.Key)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return false, err
	}
	policy := domain.PasswordPolicy{MinLength: b.cfg.PasswordMinLength}
	if err := policy.Check("password", password, em.Address); err != nil {
		return false, fmt.Errorf("ADMIN_PASSWORD: %w", err)
	}
	hash, err := b.deps.Hasher.Hash(ctx, password)
	if err != nil {
		return false, fmt.Errorf("hash admin password: %w", err)
	}
	now := b.deps.Clock.Now()
	u := domain.User{
		ID: b.deps.Random.NewID(), Email: em.Address, Name: "Administrator",
		Status: domain.StatusActive, PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
	}
	err = b.deps.Tx.InTx(ctx, func(ctx context.Context) error {
		err := b.deps.Users.Create(ctx, u, em.Key, []string{domain.RoleUser, domain.RoleAdmin})
		if errors.Is(err, domain.ErrConflict) {
			return err // another instance seeded it first
		}
		if err != nil {
			return err
		}
		return b.deps.audit(ctx, "", "", domain.AuditUserCreated, "user", u.ID,
			map[string]any{"roles": []string{domain.RoleUser, domain.RoleAdmin}, "seed": true})
	})
	if errors.Is(err, domain.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}
