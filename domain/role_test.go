package domain_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/domain"
)

func TestValidPermissionName(t *testing.T) {
	part63 := "a" + strings.Repeat("b", 62)
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "builtin", in: "users:read", want: true},
		{name: "shortest", in: "a:b", want: true},
		{name: "digits dash underscore", in: "report_v2:re-run", want: true},
		{name: "63 each side", in: part63 + ":" + part63, want: true},
		{name: "64 resource", in: part63 + "b:read"},
		{name: "64 action", in: "users:" + part63 + "b"},
		{name: "empty", in: ""},
		{name: "no colon", in: "users"},
		{name: "empty action", in: "users:"},
		{name: "empty resource", in: ":read"},
		{name: "two colons", in: "users:read:all"},
		{name: "upper case", in: "Users:read"},
		{name: "upper case action", in: "users:READ"},
		{name: "leading digit", in: "1users:read"},
		{name: "action leading digit", in: "users:1read"},
		{name: "leading dash", in: "-users:read"},
		{name: "space", in: "users :read"},
		{name: "dot", in: "users.read"},
		{name: "trailing newline", in: "users:read\n"},
		{name: "leading space", in: " users:read"},
		{name: "non-ASCII", in: "usérs:read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, domain.ValidPermissionName(tt.in))
		})
	}
}

func TestValidRoleName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "admin", in: "admin", want: true},
		{name: "one letter", in: "a", want: true},
		{name: "digits dash underscore", in: "ops-team_2", want: true},
		{name: "63", in: "a" + strings.Repeat("b", 62), want: true},
		{name: "64", in: "a" + strings.Repeat("b", 63)},
		{name: "empty", in: ""},
		{name: "upper case", in: "Admin"},
		{name: "leading digit", in: "2admin"},
		{name: "leading dash", in: "-admin"},
		{name: "leading underscore", in: "_admin"},
		{name: "colon", in: "admin:all"},
		{name: "space", in: "ops team"},
		{name: "trailing newline", in: "admin\n"},
		{name: "non-ASCII", in: "админ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, domain.ValidRoleName(tt.in))
		})
	}
}

func TestBuiltinPermissionsAreValid(t *testing.T) {
	perms := domain.BuiltinPermissions()
	require.NotEmpty(t, perms)

	names := make([]string, 0, len(perms))
	for _, p := range perms {
		assert.True(t, domain.ValidPermissionName(p.Name), p.Name)
		assert.NotEmpty(t, p.Description, p.Name)
		names = append(names, p.Name)
	}
	assert.Len(t, domain.SortedUnique(names), len(names), "permission names repeat")
}

func TestBuiltinRoles(t *testing.T) {
	var permNames []string
	for _, p := range domain.BuiltinPermissions() {
		permNames = append(permNames, p.Name)
	}
	roles := map[string]domain.Role{}
	for _, r := range domain.BuiltinRoles() {
		roles[r.Name] = r
	}
	require.Len(t, roles, 2)

	tests := []struct {
		name  string
		perms []string
	}{
		{name: domain.RoleAdmin, perms: permNames},
		{name: domain.RoleUser, perms: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := roles[tt.name]
			require.True(t, ok)

			assert.True(t, r.System)
			assert.True(t, domain.ValidRoleName(r.Name))
			assert.NotEmpty(t, r.Description)
			assert.ElementsMatch(t, tt.perms, r.Permissions)
		})
	}
}

func TestBuiltinRolesReturnsFreshSlices(t *testing.T) {
	first := domain.BuiltinRoles()
	require.NotEmpty(t, first[0].Permissions)
	first[0].Permissions[0] = "tampered:value"
	first[0].Name = "tampered"

	second := domain.BuiltinRoles()

	assert.Equal(t, domain.RoleAdmin, second[0].Name)
	assert.NotContains(t, second[0].Permissions, "tampered:value")
}

func TestSortedUnique(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{name: "nil", in: nil, want: []string{}},
		{name: "empty", in: []string{}, want: []string{}},
		{name: "one", in: []string{"b"}, want: []string{"b"}},
		{name: "sorted", in: []string{"c", "a", "b"}, want: []string{"a", "b", "c"}},
		{name: "duplicates", in: []string{"b", "a", "b", "a", "b"}, want: []string{"a", "b"}},
		{name: "case kept apart", in: []string{"b", "B", "b"}, want: []string{"B", "b"}},
		{name: "empty string kept", in: []string{"a", "", ""}, want: []string{"", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before []string
			if tt.in != nil {
				before = append([]string{}, tt.in...)
			}

			got := domain.SortedUnique(tt.in)

			require.NotNil(t, got)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, before, tt.in, "input was modified")
		})
	}
}
