package application_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports"
)

// seedCall is one call to recordingRoles.Seed.
type seedCall struct {
	perms []domain.Permission
	roles []domain.Role
}

// recordingRoles is a RoleStore that records what it is asked to seed and
// answers with err.
type recordingRoles struct {
	calls []seedCall
	err   error
}

var _ ports.RoleStore = (*recordingRoles)(nil)

func (r *recordingRoles) Seed(_ context.Context, perms []domain.Permission, roles []domain.Role) error {
	r.calls = append(r.calls, seedCall{perms: perms, roles: roles})
	return r.err
}

func TestBootstrapSeed(t *testing.T) {
	store := &recordingRoles{}

	err := application.NewBootstrap(store, application.Config{}, application.Deps{}).Seed(t.Context())
	require.NoError(t, err)

	require.Len(t, store.calls, 1)
	call := store.calls[0]
	assert.Equal(t, domain.BuiltinPermissions(), call.perms)
	wantPerms := []string{
		domain.PermUsersRead, domain.PermUsersWrite, domain.PermUsersDelete,
		domain.PermRolesRead, domain.PermRolesManage, domain.PermRolesAssign,
		domain.PermBackupsRead, domain.PermBackupsRun, domain.PermAuditRead,
	}
	var names []string
	for _, p := range call.perms {
		names = append(names, p.Name)
		assert.True(t, domain.ValidPermissionName(p.Name), "permission %q", p.Name)
		assert.NotEmpty(t, p.Description, "permission %q", p.Name)
	}
	assert.ElementsMatch(t, wantPerms, names)

	roles := map[string]domain.Role{}
	for _, r := range call.roles {
		roles[r.Name] = r
	}
	require.Len(t, roles, 2)
	require.Contains(t, roles, domain.RoleAdmin)
	require.Contains(t, roles, domain.RoleUser)
	assert.True(t, roles[domain.RoleAdmin].System)
	assert.True(t, roles[domain.RoleUser].System)
	assert.ElementsMatch(t, wantPerms, roles[domain.RoleAdmin].Permissions)
	assert.Empty(t, roles[domain.RoleUser].Permissions)
}

func TestBootstrapSeedIsRepeatable(t *testing.T) {
	store := &recordingRoles{}
	b := application.NewBootstrap(store, application.Config{}, application.Deps{})

	require.NoError(t, b.Seed(t.Context()))
	require.NoError(t, b.Seed(t.Context()))

	require.Len(t, store.calls, 2)
	assert.Equal(t, store.calls[0], store.calls[1])
}

func TestBootstrapSeedError(t *testing.T) {
	boom := errors.New("database is gone")
	store := &recordingRoles{err: boom}

	err := application.NewBootstrap(store, application.Config{}, application.Deps{}).Seed(t.Context())

	require.Error(t, err)
	assert.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "seed roles")
}
